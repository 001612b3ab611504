"""`landscape.conjecture.check`: the same verdicts and numbers as `landscape conjecture check`, located errors for
bad files, and resuming from a results folder."""

from __future__ import annotations

import pathlib

import pytest

import landscape.conjecture

REPO = pathlib.Path(__file__).resolve().parents[2]
SMALL_N = REPO / "conjectures" / "wishart_edge_small_n.toml"


def test_a_shipped_claim_gets_its_expected_verdict_and_the_cli_s_numbers(cli) -> None:
    result = landscape.conjecture.check(SMALL_N, scale="quick", seed=3, jobs=1)
    assert result["verdict"] == result["expect"] == "refuted"
    assert 'test = "limit"' in result["reason"]
    point = result["points"][0]
    for key in ("grid", "estimate", "stderr", "interval", "prediction", "p_value", "detectable", "seeds_needed"):
        assert key in point
    # The CLI exits 0 because the verdict is the expected one, and prints the same points bit for bit.
    code, printed, _ = cli("conjecture", "check", str(SMALL_N), "--scale", "quick", "--seed", "3", "--jobs", "2")
    assert code == 0
    assert printed["points"] == result["points"]
    assert printed["verdict"] == result["verdict"]


def test_a_claim_given_as_text_is_decided_and_a_wrong_one_refuted() -> None:
    # The trace of a Wishart matrix with XXᵀ/m normalisation has mean exactly n and variance 2n/m = 2·ratio = 1.
    # With 100 seeds the standard error is 0.1 and TOST at tolerance 0.5 supports the true claim unless the mean
    # strays more than 0.5 − t(0.95, 99)·0.1 = 0.33 from n: 3.3 standard errors, a false failure below 1e-3.
    # Offset 3 is 30 standard errors beyond the tolerance.
    text = """
claim = "the trace of a Wishart matrix is n"
[measure]
ensemble = "mp(ratio=0.5)"
n = [20]
seeds = 100
statistic = "trace"
[predict]
value = "n + {offset}"
[decide]
test = "equal"
tolerance = 0.5
"""
    right = landscape.conjecture.check(text=text.replace("{offset}", "0"), name="trace.toml", seed=1)
    assert right["verdict"] == "supported", right["reason"]
    assert right["file"] == "trace.toml"
    wrong = landscape.conjecture.check(text=text.replace("{offset}", "3"), name="trace.toml", seed=1)
    assert wrong["verdict"] == "refuted", wrong["reason"]


def test_bad_files_and_arguments_raise_value_error_naming_them() -> None:
    with pytest.raises(ValueError, match=r"bad\.toml:\d+:\d+.*statistic"):
        landscape.conjecture.check(
            text='claim = "x"\n[measure]\nensemble = "mp(ratio=0.5)"\nn = [10]\nseeds = 4\n'
            'statistic = "lambda_maxx"\n[predict]\nvalue = "1"\n[decide]\ntest = "equal"\ntolerance = 0.1\n',
            name="bad.toml",
        )
    with pytest.raises(ValueError, match="scale"):
        landscape.conjecture.check(SMALL_N, scale="huge")
    with pytest.raises(ValueError, match="jobs"):
        landscape.conjecture.check(SMALL_N, jobs=0)
    with pytest.raises(ValueError, match="exactly one"):
        landscape.conjecture.check()


def test_a_run_with_a_results_folder_resumes_to_the_same_result(tmp_path: pathlib.Path) -> None:
    first = landscape.conjecture.check(SMALL_N, seed=5, out=tmp_path)
    stored = sorted(p for p in (tmp_path / "tasks").glob("*.json") if p.name != "manifest.json")
    assert len(stored) == first["tasks_total"]
    stored[0].unlink()  # as if the run had been killed before this sample was written
    again = landscape.conjecture.check(SMALL_N, seed=5, out=tmp_path)
    assert again["points"] == first["points"]
    with pytest.raises(RuntimeError, match="another file, seed or scale"):
        landscape.conjecture.check(SMALL_N, seed=6, out=tmp_path)


def test_a_network_claim_runs_through_the_same_engine(cli, tmp_path) -> None:
    # A 64–4–10 MLP on 50 digits at initialisation, two widths, two seeds: small enough for a test, and the
    # Python result must equal the CLI's bit for bit (the same engine, the same seeds).
    text = """
claim = "the sharpness at initialisation is below 10"
[measure]
model = "mlp:widths={n}"
data = "digits"
samples = 50
n = [4, 6]
seeds = 2
statistic = "lambda_max"
[predict]
value = "10"
[decide]
test = "at_most"
"""
    path = tmp_path / "net.toml"
    path.write_text(text)
    result = landscape.conjecture.check(path, seed=5, jobs=1)
    # One point per width (the sizes of a network file are the `{n}` of its model); two seeds cannot bound a
    # violation rate below α = 0.05, so the honest verdict is inconclusive.
    assert [p["grid"]["n"] for p in result["points"]] == [4, 6]
    assert result["verdict"] == "inconclusive"
    _, printed, _ = cli("conjecture", "check", str(path), "--seed", "5", "--jobs", "2")
    assert printed["points"] == result["points"]
