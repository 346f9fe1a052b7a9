"""Stylistic provenance (issue 13): does a new release write more like an alleged teacher than its
predecessor did, more than other developers' releases of the same period moved, more toward this teacher
than toward other candidate teachers, and more in coding and agentic prompts than elsewhere?

Data flows one way:

    bank.py       the prompt bank provenance-v1 (stored data; runs through `asymmetry run` as a record-only suite)
    texts.py      the texts table (model, prompt_id, domain, sample, text) from a file or from run journals
    features.py   masked text for the n-grams and the named style features
    model.py      the attribution model f: fitted on the teacher, other candidates and references only; frozen
                  as JSON + NPZ with a content sha256
    stats.py      the fingerprint statistics on per-prompt affinities (shift, DiD, specificity, calibration
                  against control transitions, pre-trend, intersection-union claim)
    secondary.py  AUC shift, exact-prefix agreement, teacher phrases, self-identification
    compare.py    the document asymmetry.provenance/1;  sentence.py  its citable sentence
    examples.py   side-by-side examples chosen by a fixed rule;  report.py  the HTML report
    markers.py    what the model sees, per model (descriptive)

The command line is `asymmetry provenance fit|compare|markers` (harness/cli/provenance.py) and
`asymmetry report --provenance`. The strongest thing any of it says is "consistent with training on the
teacher's outputs", and only when the pre-set intersection-union criteria hold; never "proves".
"""
