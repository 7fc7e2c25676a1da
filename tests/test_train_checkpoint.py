"""Training checkpoints: a resumed run equals an uninterrupted one bit for bit, the checkpoint is an
ordinary model file, and a damaged or mismatched checkpoint is a typed error naming the file."""

from __future__ import annotations

import io
import json
import zipfile

import equinox as eqx
import jax
import numpy as np
import optax
import pytest

import snnir
import snnir.cli
import snnir.train as st
from snnir.io import ModelFileError

from test_train_fit import _program, _task, accuracy, loss

pytestmark = pytest.mark.standard_promotion  # optax's optimisers promote their step counts implicitly


def _leaves(tree):
    return jax.tree_util.tree_leaves(tree)


def _params(prog):
    return _leaves(eqx.partition(prog, prog.trainable())[0])


def _same(a, b) -> bool:
    a, b = _leaves(a), _leaves(b)
    return len(a) == len(b) and all(np.asarray(x).dtype == np.asarray(y).dtype and np.array_equal(x, y)
                                    for x, y in zip(a, b))


@pytest.fixture(scope="module")
def data():
    return _task(48), _task(16, seed=1)


def _fit(data, epochs, **kw):
    train, val = data
    options = dict(batch_size=16, validation=val, metrics={"accuracy": accuracy}, progress=False, key=7)
    return st.fit(_program(), train, loss, optax.adam(2e-2), epochs=epochs, **{**options, **kw})


def test_resuming_equals_training_straight_through_bit_for_bit(data, tmp_path):
    straight, whole = _fit(data, 4, checkpoint=tmp_path / "straight.snnir")
    _, first = _fit(data, 2, checkpoint=tmp_path / "run.snnir")             # interrupted after 2 epochs
    assert len(first.loss) == 2
    resumed, history = _fit(data, 4, checkpoint=tmp_path / "run.snnir", resume=True)
    assert _same(_params(resumed), _params(straight))
    assert history.step_loss == whole.step_loss and history.loss == whole.loss
    assert history.val_loss == whole.val_loss and history.val_metrics == whole.val_metrics
    assert history.best_epoch == whole.best_epoch == 3
    # the optimiser states both runs ended with, read back from their final checkpoints
    tx = optax.adam(2e-2)
    a = st.load_checkpoint(tmp_path / "straight.snnir", _program(), tx)
    b = st.load_checkpoint(tmp_path / "run.snnir", _program(), tx)
    assert a.epoch == b.epoch == 4 and _same(a.opt_state, b.opt_state) and _same(b.prog, resumed)
    fresh = tx.init(eqx.partition(resumed, resumed.trainable())[0])
    assert jax.tree_util.tree_structure(b.opt_state) == jax.tree_util.tree_structure(fresh)


def test_a_checkpoint_is_an_ordinary_model_file(data, tmp_path, capsys):
    path = tmp_path / "run.snnir"
    trained, _ = _fit(data, 1, checkpoint=path, validation=None, metrics=None)
    assert snnir.load(path) == trained.to_graph()
    assert snnir.cli.main(["info", str(path)]) == 0 and "fc1" in capsys.readouterr().out
    names = zipfile.ZipFile(path).namelist()
    assert "snnir.json" in names and "checkpoint.json" in names
    assert all(n in ("snnir.json", "checkpoint.json") or n.startswith(("arrays/", "checkpoint/")) for n in names)


def test_save_and_load_checkpoint_keep_everything(tmp_path):
    prog = _program()
    tx = optax.chain(optax.clip_by_global_norm(1.0), optax.sgd(0.1, momentum=0.9))
    params = eqx.partition(prog, prog.trainable())[0]
    opt_state = jax.tree_util.tree_map(lambda x: x + 0.25, tx.init(params))
    history = st.History(loss=[1.0, float("nan")], step_loss=[1.5, 0.5, 2.0], val_metrics={"acc": [0.5, 0.75]},
                         best_epoch=0)
    for key in (jax.random.key(3), jax.random.PRNGKey(3), None):
        path = st.save_checkpoint(tmp_path / "c.snnir", prog, opt_state, epoch=2, key=key, history=history)
        ck = st.load_checkpoint(path, _program(seed=1), tx)     # other initial weights: the stored ones win
        assert ck.epoch == 2 and ck.best is None and _same(ck.prog, prog) and _same(ck.opt_state, opt_state)
        assert ck.history.step_loss == history.step_loss and np.isnan(ck.history.loss[1])
        assert ck.history.val_metrics == {"acc": [0.5, 0.75]} and ck.history.best_epoch == 0
        if key is None:
            assert ck.key is None
        else:
            assert np.array_equal(jax.random.uniform(ck.key, (3,)), jax.random.uniform(key, (3,)))


def test_early_stopping_resumes_with_its_best_epoch(data, tmp_path):
    # min_delta=10: only the first epoch counts as an improvement, so the run keeps epoch 0's parameters
    # and stops after `patience` more epochs; an interruption in between must not change that
    kw = dict(patience=3, min_delta=10.0)
    straight, whole = _fit(data, 10, **kw)
    _fit(data, 2, checkpoint=tmp_path / "run.snnir", **kw)
    resumed, history = _fit(data, 10, checkpoint=tmp_path / "run.snnir", resume=True, **kw)
    assert whole.stopped_early and history.stopped_early and len(history.loss) == len(whole.loss) == 4
    assert history.best_epoch == whole.best_epoch == 0 and history.step_loss == whole.step_loss
    assert _same(_params(resumed), _params(straight))
    # the file's graph is the model the run hands out (the best epoch's); resuming a finished run trains no more
    assert snnir.load(tmp_path / "run.snnir") == straight.to_graph()
    again, more = _fit(data, 10, checkpoint=tmp_path / "run.snnir", resume=True, **kw)
    assert more.step_loss == whole.step_loss and _same(_params(again), _params(straight))


def test_resume_without_a_file_starts_afresh(data, tmp_path):
    fresh, a = _fit(data, 1, validation=None, metrics=None)
    started, b = _fit(data, 1, checkpoint=tmp_path / "new.snnir", resume=True, validation=None, metrics=None)
    assert a.step_loss == b.step_loss and _same(_params(fresh), _params(started))
    assert (tmp_path / "new.snnir").is_file()
    with pytest.raises(snnir.InvalidArgumentsError, match="resume=True needs the checkpoint"):
        _fit(data, 1, resume=True)


# ------------------------------------------------------------------------------- damaged and mismatched
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("ck") / "run.snnir"
    prog = _program()
    tx = optax.adam(1e-2)
    st.save_checkpoint(path, prog, tx.init(eqx.partition(prog, prog.trainable())[0]), epoch=1,
                       key=jax.random.key(0), history=st.History(loss=[0.5]))
    return path


def _rewrite(src, dst, change):
    """A copy of the archive ``src`` with its entries passed through ``change(name, data) -> data | None``."""
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
    dst.write_bytes(out.getvalue())
    return dst


def _edit_document(edit):
    def change(name, data):
        if name != "checkpoint.json":
            return data
        doc = json.loads(data)
        edit(doc)
        return json.dumps(doc).encode()
    return change


def test_another_optimiser_or_model_is_named(saved):
    with pytest.raises(ModelFileError, match="written for another optimiser") as err:
        st.load_checkpoint(saved, _program(), optax.sgd(0.1, momentum=0.9))
    assert str(saved) in str(err.value) and "\n  hint: " in str(err.value)
    with pytest.raises(ModelFileError, match="another optimiser"):   # resuming with clip_grad_norm added
        st.load_checkpoint(saved, _program(), optax.chain(optax.clip_by_global_norm(1.0), optax.adam(1e-2)))
    b = snnir.GraphBuilder(key=0)
    x = b.input("x", shape=(6,))
    b.output(b.li(b.linear(b.lif(b.linear(x, 8, id="fc1"), decay=0.9, id="lif"), 2, id="fc2"), decay=0.8,
                  id="readout"), id="y")
    with pytest.raises(ModelFileError, match=r"another model: params leaf .kernels\['fc1'\].weight is float32\[16, 6\]"
                                             r", this model has float32\[8, 6\]"):
        st.load_checkpoint(saved, snnir.compile(b.build()), optax.adam(1e-2))


def test_missing_and_damaged_entries_are_named(saved, tmp_path):
    def no_array(name, data):
        return None if name == "checkpoint/0.npy" else data

    cases = {
        "no-array": (no_array, "has no entry 'checkpoint/0.npy'"),
        "no-epoch": (_edit_document(lambda d: d.pop("epoch")), "the entry 'epoch' is missing"),
        "bad-epoch": (_edit_document(lambda d: d.update(epoch="two")), "'epoch' is a str"),
        "no-leaf": (_edit_document(lambda d: d["opt_state"]["leaves"].pop()), "has no opt_state leaf"),
        "version": (_edit_document(lambda d: d.update(version=99)), "upgrade snnir"),
        "format": (_edit_document(lambda d: d.update(format="x")), "not a snnir checkpoint"),
        "bomb": (_edit_document(lambda d: d["params"][0]["array"].update(shape=[1 << 20, 1 << 20])),
                 "over the limit"),
        "dtype": (_edit_document(lambda d: d["params"][0]["array"].update(dtype="object")), "unsupported dtype"),
        "shape": (_edit_document(lambda d: d["params"][0]["array"].update(shape=[6, 16])), "but the graph declares"),
        "name": (_edit_document(lambda d: d["params"][0]["array"].update({"$array": "../x.npy"})), "bad array entry"),
        "json": (lambda n, data: b"{" if n == "checkpoint.json" else data, "not valid JSON"),
        "none": (lambda n, data: None if n == "checkpoint.json" else data, "holds no training checkpoint"),
    }
    for label, (change, message) in cases.items():
        path = _rewrite(saved, tmp_path / f"{label}.snnir", change)
        with pytest.raises(ModelFileError, match=message) as err:
            st.load_checkpoint(path, _program(), optax.adam(1e-2))
        assert str(path) in str(err.value), label
        if label not in ("bomb", "dtype", "json", "none", "format", "version"):
            assert snnir.load(path) == snnir.load(saved)  # the model part is still an ordinary model file
    truncated = tmp_path / "truncated.snnir"
    truncated.write_bytes(saved.read_bytes()[:-200])
    with pytest.raises(ModelFileError, match="corrupt archive|truncated"):
        st.load_checkpoint(truncated, _program(), optax.adam(1e-2))
    plain = snnir.save(_program().to_graph(), tmp_path / "plain.json")
    with pytest.raises(ModelFileError, match="holds no training checkpoint"):
        st.load_checkpoint(plain, _program(), optax.adam(1e-2))
    with pytest.raises(snnir.InvalidArgumentsError, match="compile the graph first"):
        st.load_checkpoint(saved, _program().to_graph(), optax.adam(1e-2))
    with pytest.raises(ModelFileError, match="plain JSON cannot hold it"):
        st.save_checkpoint(tmp_path / "c.json", _program(), (), epoch=0)


def test_a_checkpoint_load_would_refuse_for_its_entry_count_is_not_written(tmp_path, monkeypatch):
    """What save writes, load reads: the container's entries (graph arrays, checkpoint arrays) are
    counted against the limit load enforces before anything is written."""
    import dataclasses

    import snnir.io.files as files

    prog = _program()
    params = eqx.partition(prog, prog.trainable())[0]
    opt_state = optax.adam(1e-2).init(params)
    few = dataclasses.replace(files.LoadLimits(), max_arrays=6)
    monkeypatch.setattr(files, "LoadLimits", lambda: few)
    path = tmp_path / "run.snnir"
    with pytest.raises(ModelFileError, match="entries, over the limit of 7 that load enforces"):
        st.save_checkpoint(path, prog, opt_state, epoch=1)
    assert not path.exists() and list(tmp_path.iterdir()) == []
