"""The §3.2 null scenarios (N1-N7) and §3.3 power checks as calibration cells, with each procedure's claim.

A claim says what a procedure promises in a cell:
* valid: size inside the acceptance band around its nominal level (the procedure's `valid_for`);
* conservative: size at most the band's upper edge (exact tests with a floor, modified HKSJ);
* bounded: a documented drift, size at most `bound` (e.g. 2PL + noise latent DiD ≤ 0.10);
* fails: a documented-invalid use; the report shows the failure (size above the band) so nobody "fixes"
  it unknowingly (§3.5). `info` rows are reported without a verdict.
`coverage` names the truth a claim's 95% interval must cover: "realised" (the fixed-suite asymmetry the
DGP drew, or for L3 the suspect's own excess over the trend), "zero" (a population null), or None.
The L3 excess interval is held to the band only from C = 8 controls (the t-test's stated minimum): with
fewer, its t(C − 1) critical value also inflates the known sampling part, so it over-covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.dgp import Scenario

CEILING = {"baselines_targeted": (0.35, 0.45), "baselines_untargeted": (0.80, 0.90)}
BALANCED = {"baselines_targeted": (0.5, 0.7), "baselines_untargeted": (0.5, 0.7)}
L3_SAMPLING_VAR = 0.03  # v of one transition's A^L: a 2+2 x 300-item k = 1 design has SE ≈ 0.17-0.22


@dataclass(frozen=True)
class Claim:
    procedure: str
    kind: str  # valid | conservative | bounded | fails | info
    pilot: str = ""
    bound: float | None = None
    coverage: str | None = None
    coverage_checked: bool = True  # False: coverage is reported, not held to the band
    expected: float | None = None  # fails: the documented size; a failure this close to nominal may not
    #                                be resolvable at small R


@dataclass(frozen=True)
class Cell:
    """One simulated setting. `source` is "items" (a Batch), "transitions" (summary-level L3) or
    "families" (item-level L3: the suspect's batch and C controls). `power` cells have a true effect and
    report rejection rates as power, with an `analytic` prediction where one exists."""

    id: str
    title: str
    source: str
    claims: tuple[Claim, ...]
    scenario: Scenario | None = None
    l3: dict[str, object] = field(default_factory=dict)
    power: bool = False
    analytic: dict[str, float] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        import zlib

        return zlib.crc32(self.id.encode())


def _n1(name: str, samples: int, **extra: object) -> Scenario:
    return Scenario(name, n_items=300, samples=samples, shift=0.8, **CEILING, **extra)


def null_cells() -> list[Cell]:
    cells = [
        Cell("N1", "Rasch, equal latent shift 0.8, ceiling baselines, 2+2 x 300, k=1", "items", (
            Claim("latent", "valid", "4.8%", coverage="realised"),
            Claim("pp", "fails", "72.7%"),
            Claim("normalized", "fails", "43-51%"),
        ), _n1("N1", 1)),
        Cell("N1b", "as N1 with k=5, pure Rasch", "items", (
            Claim("latent", "valid", "4.9%", coverage="realised"),
            Claim("pp", "fails", "100%"),
            Claim("normalized", "fails", ""),
        ), _n1("N1b", 5)),
        Cell("N1b-2PL", "as N1b with 2PL items (a ~ logN(0, 0.3²)) and item-by-release noise 0.3", "items", (
            Claim("latent", "bounded", "6.9-8.4%", bound=0.10),
            Claim("pp", "fails", "100%"),
        ), _n1("N1b-2PL", 5, discrimination_sd=0.3, noise_sd=0.3)),
        Cell("N2", "equal 8-pp gains, ceiling baselines, 2+2 x 300, k=1", "items", (
            Claim("pp", "valid", "4.3-5.7%", coverage="zero"),
            Claim("latent", "fails", "61%"),
            Claim("normalized", "fails", "98%"),
        ), Scenario("N2", equal_pp=8.0, **CEILING)),
        Cell("N3", "balanced baselines (0.5-0.7 in both groups), tau=0, 4+4 x 300, k=1", "items", (
            Claim("latent", "valid", "3.8-5.0%", coverage="realised"),
            Claim("pp", "valid", "3.8-5.0%", coverage="zero"),
            Claim("normalized", "valid", "3.8-5.0%", coverage="zero"),
            Claim("hksj", "valid", "3.8%", coverage="zero"),
            Claim("hksj_modified", "conservative", ""),
            Claim("permutation", "conservative", "2.4%"),
        ), Scenario("N3", n_targeted=4, n_untargeted=4, **BALANCED)),
    ]
    pilot = {4: ("4.7%", "10.5%", "9.2%"), 6: ("4.3%", "6.9%", "7.0%"), 8: ("3.8%", "5.6%", "5.0%"),
             12: ("3.5%", "4.4%", "3.7%")}
    for s, (hksj, crve, wcr) in pilot.items():
        few = s <= 6
        cells.append(Cell(
            f"N4/S={s}", f"suite heterogeneity tau=0.3, {s // 2}+{s // 2} suites x 300, balanced, k=1", "items", (
                Claim("hksj", "valid", hksj, coverage="zero"),
                Claim("hksj_modified", "conservative", "0.5-3.2%"),
                Claim("permutation", "conservative", ""),
                Claim("crve", "fails" if few else "info", crve, expected=float(crve[:-1]) / 100),
                # WCR: the pilot's 9.2% at 2+2 is not reproduced by the standard suite-level WCR (it
                # under-rejects with two treated clusters, as MacKinnon & Webb predict); 3+3 is its failure
                Claim("wcr", "fails" if s == 6 else "info", wcr, expected=float(wcr[:-1]) / 100),
                # L1 is right for these fixed suites (covers the realised asymmetry) but wrong for an L2 claim
                Claim("latent", "fails", "23-24%", coverage="realised"),
            ), Scenario(f"N4/S={s}", n_targeted=s // 2, n_untargeted=s // 2, tau=0.3, **BALANCED)))
    for dist in ("normal", "t3", "skewed"):
        for c in (3, 5, 8, 12, 19):
            # the t-test's stated minimum is C = 8 (§0); with normal lab effects it is exact at any C, so
            # heavy-tailed and skewed cells below 8 controls are reported without a claim
            if dist == "normal":
                t_claim = Claim("ddd_t", "valid", "2.5%", coverage="realised", coverage_checked=c >= 8)
            elif c < 8:
                t_claim = Claim("ddd_t", "info", "3.0-3.1%" if dist == "t3" else "4.8-5.0%")
            elif dist == "t3":
                t_claim = Claim("ddd_t", "valid", "3.0-3.1%")
            else:
                t_claim = Claim("ddd_t", "bounded", "4.8-5.0%", bound=0.06)
            cells.append(Cell(
                f"N5/{dist}/C={c}", f"DDD null, suspect = controls, tau_f=0.3 ({dist} lab effects), C={c}",
                "transitions", (t_claim, Claim("ddd_rank", "conservative", "≤5.0% at C=19"),
                                Claim("naive_z", "fails", "11-15%")),
                l3={"controls": c, "tau_f": 0.3, "dist": dist, "sampling_var": L3_SAMPLING_VAR}))
    cells += [
        Cell("N6", "item clusters (10 items, difficulty SD 1.0, cluster-by-release SD 0.5), 30 per suite, "
                   "balanced 2+2 x 300, k=1", "items", (
            Claim("latent_clustered", "valid", "", coverage="realised"),
            Claim("cluster_bootstrap", "valid", "", coverage="realised"),
            Claim("latent", "fails", "(expected over-rejection)"),
        ), Scenario("N6", cluster_size=10, cluster_sd=1.0, cluster_change_sd=0.5, **BALANCED)),
        Cell("N7", "contamination: 30% of targeted items memorised by every family, C=8, tau_f=0.3, "
                   "2+2 x 300, k=1", "families", (
            Claim("ddd_t", "valid", ""),
            Claim("ddd_rank", "conservative", ""),
            Claim("latent", "fails", "(expected to reject)"),
        ), Scenario("N7", contamination=0.3, **CEILING),
            l3={"controls": 8, "tau_f": 0.3, "dist": "normal", "contaminate": "all"}),
    ]
    return cells


def power_cells() -> list[Cell]:
    """Alternatives with a pilot figure or an analytic prediction (harness.stats.power)."""
    half = {"baselines_targeted": (0.5, 0.5), "baselines_untargeted": (0.5, 0.5)}
    cells = []
    for k, effect, noise in ((1, 0.5, 0.0), (3, 0.3, 0.0), (5, 0.25, 0.3)):
        cells.append(Cell(
            f"P1/k={k}", f"L1 latent power: 2+2 x 300 at 50%, mean shift 0.5, targeted +{effect} logits, k={k}"
            + (f", item noise {noise}" if noise else ""), "items", (Claim("latent", "info"),),
            Scenario(f"P1/k={k}", samples=k, shift=0.5 - effect / 2, delta_t=effect, noise_sd=noise, **half),
            power=True, analytic={"effect": effect, "samples": k, "item_noise": noise}))
    cells.append(Cell(
        "P1/ceiling", "L1 latent power: Rasch, ceiling baselines (35-45% vs 80-90%), shift 0.8, targeted +0.5 "
        "logits, 2+2 x 300, k=1", "items", (Claim("latent", "info"),),
        Scenario("P1/ceiling", shift=0.8, delta_t=0.5, **CEILING), power=True,
        analytic={"effect": 0.5, "samples": 1, "item_noise": 0.0}))
    for effect, pilot in ((0.5, "HKSJ 36%, perm 23%"), (0.75, "HKSJ 65%, perm 48%"), (1.0, "HKSJ 85%, perm 72%")):
        cells.append(Cell(
            f"P2/d={effect}", f"L2 power: 4+4 x 300, tau=0.3, targeted +{effect} logits (pilot {pilot})", "items",
            (Claim("hksj", "info"), Claim("permutation", "info")),
            Scenario(f"P2/d={effect}", n_targeted=4, n_untargeted=4, tau=0.3, delta_t=effect, **BALANCED),
            power=True, analytic={"effect": effect, "l2": 1.0}))
    for c, pilot in ((5, "49%"), (8, "62%"), (19, "72%; rank 79%")):
        cells.append(Cell(
            f"P3/C={c}", f"L3 power: excess 1 logit, tau_f=0.3, v={L3_SAMPLING_VAR}, C={c} (pilot {pilot})",
            "transitions", (Claim("ddd_t", "info"), Claim("ddd_rank", "info")),
            l3={"controls": c, "tau_f": 0.3, "dist": "normal", "sampling_var": L3_SAMPLING_VAR, "excess": 1.0},
            power=True, analytic={"excess": 1.0, "controls": c}))
    # §1.8 flatness: TOST power at a true untargeted gain of 0 (spread items give the wanted discordance)
    for n, pi_d, spread, table in ((1000, 0.1, 7.76, "0.82"), (1000, 0.2, 3.57, "0.37"), (2000, 0.2, 3.57, "≈0.82")):
        cells.append(Cell(
            f"F/n={n}/pd={pi_d}", f"flatness TOST ±3 pp, {n} untargeted items, discordance {pi_d}, true gain 0 "
            f"(§1.8 table: {table})", "items", (Claim("tost_flat", "info"),),
            Scenario(f"F/n={n}/pd={pi_d}", n_targeted=1, n_untargeted=1, n_items=n, shift=0.0, item_sd=spread,
                     baselines_targeted=(0.5, 0.5), baselines_untargeted=(0.5, 0.5)),
            power=True, analytic={"flatness": 0.03}))
    cells.append(Cell(
        "P4", "contamination of the suspect only (30% of targeted items), C=8: the DDD must flag it",
        "families", (Claim("ddd_t", "info"), Claim("ddd_rank", "info")),
        Scenario("P4", contamination=0.3, **CEILING),
        l3={"controls": 8, "tau_f": 0.3, "dist": "normal", "contaminate": "suspect"}, power=True))
    return cells


#: §3.3 pilot anchors for the L1 latent power curves (2+2, ceiling baselines, 2PL + noise): (n, k) → {δ_T: power}
CURVE_ANCHORS = {(300, 1): {0.2: 0.14, 0.35: 0.30, 0.5: 0.54, 0.75: 0.85}, (1000, 1): {0.35: 0.75, 0.5: 0.96},
                 (300, 5): {0.2: 0.52, 0.35: 0.90, 0.5: 0.998}}
CURVE_EFFECTS = (0.0, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)


def curve_cells() -> list[Cell]:
    """§3.3 L1 power curves in the pilot's setting (2+2, ceiling baselines, 2PL items a ~ logN(0, 0.3²), item
    noise 0.3, common shift 0.8): simulated latent-DiD power vs the targeted excess, beside the analytic
    curve of harness.stats.power for the same design."""
    cells = []
    for n, k in CURVE_ANCHORS:
        for effect in CURVE_EFFECTS:
            cid = f"C/n={n}/k={k}/d={effect}"
            cells.append(Cell(
                cid, f"L1 power curve point: n={n}, k={k}, targeted +{effect} logits (2PL + noise, ceiling)",
                "items", (Claim("latent", "info"),),
                Scenario(cid, n_items=n, samples=k, shift=0.8, delta_t=effect, discrimination_sd=0.3,
                         noise_sd=0.3, **CEILING),
                power=True, analytic={"effect": effect, "samples": k, "item_noise": 0.3}))
    return cells


def all_cells() -> list[Cell]:
    return null_cells() + power_cells()
