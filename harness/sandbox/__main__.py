"""`python -m harness.sandbox`: the self-check that shows what contains model code on this machine."""

import sys

from harness.sandbox import main

sys.exit(main())
