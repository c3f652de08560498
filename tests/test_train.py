"""fit(), History, to_device and the metrics."""

from __future__ import annotations

import math
import time

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from vitlite import metrics
from vitlite.data import ShapesDataset
from vitlite.train import History, classification_loss, fit, to_device


def toy_batches(n_batches: int = 8, batch: int = 32, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Two Gaussian blobs in 2-D, linearly separable: label = [x0 + x1 > 0]."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n_batches):
        x = torch.randn(batch, 2, generator=gen)
        y = (x.sum(1) > 0).long()
        x = x + 0.5 * (2 * y[:, None] - 1)  # push the classes apart
        out.append((x, y))
    return out


def tiny_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))


def run(model=None, data=None, **kw):
    kw.setdefault("steps", 20)
    kw.setdefault("progress", False)
    kw.setdefault("device", "cpu")
    return fit(model if model is not None else tiny_model(), data if data is not None else toy_batches(), **kw)


def test_fit_learns_a_separable_problem():
    model = tiny_model()
    train, test = toy_batches(8), toy_batches(4, seed=99)
    x_test, y_test = torch.cat([b[0] for b in test]), torch.cat([b[1] for b in test])
    before = metrics.accuracy(model(x_test), y_test)
    history = run(
        model, train, steps=150, lr=1e-2, eval_fn=lambda m: {"acc": metrics.accuracy(m(x_test), y_test)}, eval_every=50
    )
    assert history.final("acc") > 0.95
    assert history.final("acc") > before
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert not model.training  # fit leaves the model in eval mode


@pytest.mark.parametrize("steps", [1, 7, 20])
def test_exact_step_budget(steps):
    history = run(steps=steps)
    assert history.step == list(range(1, steps + 1))
    assert len(history.loss) == len(history.lr) == steps
    assert history.steps_done == steps == history.steps_planned
    assert not history.stopped_early and history.seconds > 0


def test_data_is_reiterated_when_exhausted():
    seen = []

    def loss_fn(model, batch):
        seen.append(int(batch[1][0]))
        return model(batch[0]).pow(2).mean()

    data = [(torch.randn(4, 2), torch.tensor([0, 0, 0, 0])), (torch.randn(4, 2), torch.tensor([1, 1, 1, 1]))]
    history = run(data=data, steps=5, loss_fn=loss_fn)
    assert seen == [0, 1, 0, 1, 0]
    assert len(history.loss) == 5


def test_same_seed_same_run():
    a_model, b_model = tiny_model(), tiny_model()
    a = run(a_model, toy_batches(), steps=15, seed=7)
    b = run(b_model, toy_batches(), steps=15, seed=7)
    assert a.loss == b.loss and a.lr == b.lr
    for pa, pb in zip(a_model.parameters(), b_model.parameters()):
        assert torch.equal(pa, pb)

    # with a dropout model the seed matters: another seed, another run
    def dropout_model():
        torch.manual_seed(0)
        return nn.Sequential(nn.Linear(2, 32), nn.Dropout(0.5), nn.Linear(32, 2))

    c = run(dropout_model(), toy_batches(), steps=10, seed=1)
    d = run(dropout_model(), toy_batches(), steps=10, seed=1)
    e = run(dropout_model(), toy_batches(), steps=10, seed=2)
    assert c.loss == d.loss and c.loss != e.loss


def test_same_seed_same_run_with_a_shuffling_loader():
    images = torch.randn(40, 2)
    ds = ShapesDataset(images, (images.sum(1) > 0).long(), ("a", "b"), task="classification")
    a_model, b_model = tiny_model(), tiny_model()
    a = run(a_model, ds.loader(batch_size=8, seed=3), steps=12)
    b = run(b_model, ds.loader(batch_size=8, seed=3), steps=12)
    assert a.loss == b.loss
    assert all(torch.equal(p, q) for p, q in zip(a_model.parameters(), b_model.parameters()))


def test_eval_every_and_at_the_end():
    calls = []

    def eval_fn(model):
        calls.append((model.training, torch.is_grad_enabled()))
        return {"score": len(calls), "other": 0.5}

    history = run(steps=10, eval_fn=eval_fn, eval_every=3)
    assert history.eval_step == [3, 6, 9, 10]
    assert history.metrics["score"] == [1.0, 2.0, 3.0, 4.0] and history.final("score") == 4.0
    assert history.metrics["other"] == [0.5] * 4
    assert calls == [(False, False)] * 4  # eval mode, no gradients
    history = run(steps=9, eval_fn=eval_fn, eval_every=3)
    assert history.eval_step == [3, 6, 9]  # no second evaluation at the last step
    history = run(steps=4, eval_fn=eval_fn)
    assert history.eval_step == [4]


def test_training_mode_during_steps():
    modes = []

    def loss_fn(model, batch):
        modes.append(model.training)
        return F.cross_entropy(model(batch[0]), batch[1])

    run(steps=6, loss_fn=loss_fn, eval_fn=lambda m: {"x": 0.0}, eval_every=2)
    assert modes == [True] * 6


def test_warmup_then_cosine():
    steps, lr = 40, 0.1
    history = run(steps=steps, lr=lr, warmup=0.25)
    lrs = history.lr
    w = 10
    # linear warm-up: lr * (s + 1) / w for the first w steps
    assert lrs[:w] == pytest.approx([lr * (s + 1) / w for s in range(w)])
    assert all(a < b for a, b in zip(lrs[: w - 1], lrs[1:w]))
    # then a half cosine from lr down to (almost) zero
    for s in range(w, steps):
        assert lrs[s] == pytest.approx(lr * 0.5 * (1 + math.cos(math.pi * (s - w) / (steps - w))))
    assert all(a >= b for a, b in zip(lrs[w:], lrs[w + 1 :]))
    assert lrs[w] == pytest.approx(lr) and lrs[-1] < 0.01 * lr


def test_warmup_in_steps_and_constant_schedule():
    history = run(steps=12, lr=0.2, warmup=4, schedule="constant")
    assert history.lr[:4] == pytest.approx([0.05, 0.1, 0.15, 0.2])
    assert history.lr[4:] == pytest.approx([0.2] * 8)
    history = run(steps=5, lr=0.3, warmup=0, schedule="constant")
    assert history.lr == pytest.approx([0.3] * 5)


def test_weight_decay_skips_biases_and_custom_optimizer_is_scheduled():
    model = tiny_model()
    before = [p.detach().clone() for p in model.parameters()]
    # a zero gradient leaves only AdamW's decoupled decay: w <- w * (1 - lr * wd) per step
    run(model, steps=2, lr=0.1, weight_decay=0.5, warmup=0, schedule="constant", loss_fn=lambda m, b: m(b[0]).sum() * 0)
    for p, p0 in zip(model.parameters(), before):
        if p.ndim >= 2:
            torch.testing.assert_close(p, p0 * (1 - 0.1 * 0.5) ** 2)
        else:
            torch.testing.assert_close(p, p0)  # biases: no decay
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    history = run(model, steps=4, optimizer=opt, warmup=0.5)
    assert history.lr == pytest.approx([0.25, 0.5, 0.5, 0.25])


def test_max_seconds_stops_early(capsys):
    def slow_loss(model, batch):
        time.sleep(0.05)
        return F.cross_entropy(model(batch[0]), batch[1])

    evals = []
    history = run(
        steps=1000, loss_fn=slow_loss, max_seconds=0.2, desc="slowrun", eval_fn=lambda m: evals.append(1) or {"a": 1.0}
    )
    assert history.stopped_early
    assert 1 <= history.steps_done < 1000 and len(history.loss) == history.steps_done
    assert history.eval_step == [history.steps_done]  # still evaluated at the end
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "wall-time cap" in line]
    assert len(lines) == 1
    assert lines[0].startswith("slowrun:") and f"after {history.steps_done} of 1000 steps" in lines[0]


def test_no_early_stop_message_for_a_full_run(capsys):
    history = run(steps=3, max_seconds=60)
    assert not history.stopped_early
    assert "wall-time cap" not in capsys.readouterr().out


def test_custom_loss_records_logs():
    def loss_fn(model, batch):
        loss = F.cross_entropy(model(batch[0]), batch[1])
        return loss, {"twice": 2 * loss.item(), "const": 3}

    history = run(steps=6, loss_fn=loss_fn)
    assert history.logs["const"] == [3.0] * 6
    assert history.logs["twice"] == pytest.approx([2 * v for v in history.loss])


def test_default_loss_is_cross_entropy():
    model = tiny_model()
    x, y = toy_batches(1)[0]
    logits = model(x)
    want = -(logits.log_softmax(-1)[torch.arange(len(y)), y]).mean()
    torch.testing.assert_close(classification_loss(model, (x, y)), want)


def test_errors():
    with pytest.raises(ValueError, match="no batches"):
        run(data=[], steps=3)
    for bad in (0, -2, 2.5):
        with pytest.raises(ValueError, match=f"steps must be a positive int, got {bad}"):
            run(steps=bad)
    with pytest.raises(ValueError, match="schedule must be 'cosine' or 'constant'.*'linear'"):
        run(schedule="linear")
    with pytest.raises(ValueError, match="eval_every"):
        run(eval_every=0, eval_fn=lambda m: {})


def test_nan_loss_raises():
    calls = []

    def loss_fn(model, batch):
        calls.append(1)
        loss = model(batch[0]).sum() * 0
        return loss + (float("nan") if len(calls) == 3 else 0.0)

    with pytest.raises(FloatingPointError, match="at step 3"):
        run(steps=10, loss_fn=loss_fn)
    with pytest.raises(FloatingPointError):
        run(steps=2, loss_fn=lambda m, b: m(b[0]).sum() * float("inf"))


def test_grad_clip_limits_the_update():
    model = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        model.weight.zero_()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    data = [(torch.tensor([[100.0, 0.0]]), None)]
    run(
        model,
        data,
        steps=1,
        optimizer=opt,
        warmup=0,
        schedule="constant",
        grad_clip=0.5,
        loss_fn=lambda m, b: m(b[0]).sum(),
    )
    # the gradient (100, 0) clipped to norm 0.5, one SGD step of lr 1
    torch.testing.assert_close(model.weight, torch.tensor([[-0.5, 0.0]]))


# ---------------------------------------------------------------- history
def test_history_save_load_round_trip(tmp_path):
    history = run(
        steps=5,
        eval_fn=lambda m: {"acc": 0.25},
        eval_every=2,
        loss_fn=lambda m, b: (F.cross_entropy(m(b[0]), b[1]), {"x": 1.5}),
    )
    path = tmp_path / "h.json"
    history.save(path)
    loaded = History.load(path)
    assert loaded == history
    assert loaded.final("acc") == 0.25 and loaded.logs["x"] == [1.5] * 5


def test_history_final_and_smoothing():
    h = History(step=[1, 2, 3, 4], loss=[4.0, 2.0, 0.0, 6.0])
    with pytest.raises(KeyError, match="'acc'"):
        h.final("acc")
    h.metrics["acc"] = []
    with pytest.raises(KeyError):
        h.final("acc")
    assert h.smoothed_loss(window=2) == [4.0, 3.0, 1.0, 3.0]
    assert h.smoothed_loss(window=20) == [4.0, 3.0, 2.0, 3.0]
    assert History().steps_done == 0


def test_history_plot():
    h = History(step=[1, 2, 3], loss=[1.0, 0.5, 0.2], eval_step=[3], metrics={"acc": [0.9]})
    fig = h.plot()
    assert len(fig.axes) == 2
    assert fig._repr_png_().startswith(b"\x89PNG")


# ---------------------------------------------------------------- to_device
def test_to_device_nested():
    x, y = torch.randn(2), torch.randn(3)
    obj = {"a": [x, (y, 3)], "b": "text", "c": (x,)}
    out = to_device(obj, "cpu")
    assert isinstance(out["a"], list) and isinstance(out["a"][1], tuple) and isinstance(out["c"], tuple)
    assert torch.equal(out["a"][0], x) and torch.equal(out["a"][1][0], y) and out["a"][1][1] == 3 and out["b"] == "text"
    moved = to_device({"x": x}, torch.device("meta"))
    assert moved["x"].device.type == "meta" and moved["x"].shape == (2,)
    assert to_device(None, "cpu") is None


def test_to_device_namedtuple():
    from collections import namedtuple

    Pair = namedtuple("Pair", "images labels")
    out = to_device(Pair(torch.zeros(1), torch.ones(1)), "cpu")
    assert isinstance(out, Pair) and torch.equal(out.labels, torch.ones(1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_to_device_cuda_and_fit_on_cuda():
    out = to_device([torch.zeros(2), {"k": torch.ones(1)}], "cuda")
    assert out[0].is_cuda and out[1]["k"].is_cuda
    history = run(steps=5, device="cuda")
    assert len(history.loss) == 5


# ---------------------------------------------------------------- metrics
def test_accuracy_from_logits():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
    assert metrics.accuracy(logits, torch.tensor([0, 1, 1, 0])) == 0.5
    assert metrics.accuracy(logits, torch.tensor([0, 1, 0, 1])) == 1.0
    with pytest.raises(ValueError, match=r"logits \(N, C\) and labels \(N,\), got \(4, 2\) and \(3,\)"):
        metrics.accuracy(logits, torch.tensor([0, 1, 1]))
    with pytest.raises(ValueError, match=r"got \(4,\)"):
        metrics.accuracy(torch.zeros(4), torch.zeros(4))


class Oracle(nn.Module):
    """Reads the answer off the image: logits favour class round(image mean)."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        self.seen_training = self.training
        c = x.flatten(1).mean(1).round().long()
        return F.one_hot(c, 3).float() + self.dummy


def test_accuracy_from_model_and_dataset():
    n = 300  # more than one default batch of 256
    labels = torch.arange(n) % 3
    images = labels.float().view(n, 1, 1, 1).expand(n, 3, 4, 4).clone()
    wrong = labels.clone()
    wrong[:30] = (wrong[:30] + 1) % 3
    model = Oracle().train()
    assert metrics.accuracy(model, ShapesDataset(images, labels, ("a", "b", "c"), "classification")) == 1.0
    assert metrics.accuracy(model, ShapesDataset(images, wrong, ("a", "b", "c"), "classification")) == pytest.approx(
        0.9
    )
    assert model.training and not model.seen_training  # evaluated in eval mode, mode restored
    # any iterable of (inputs, targets) works too
    assert metrics.accuracy(model, [(images[:10], labels[:10]), (images[10:20], wrong[10:20])]) == pytest.approx(0.5)
    outputs, targets = metrics.predict(model, [(images[:5], labels[:5])])
    assert outputs.shape == (5, 3) and torch.equal(targets, labels[:5])
    with pytest.raises(ValueError, match="no data"):
        metrics.predict(model, [])


def test_keep_best_restores_the_best_evaluation():
    scores = iter([0.2, 0.9, 0.5, 0.1])
    snapshots = []

    def eval_fn(model):
        snapshots.append({k: v.clone() for k, v in model.state_dict().items()})
        return {"val": next(scores)}

    model = tiny_model()
    history = run(model, steps=40, eval_fn=eval_fn, eval_every=10, keep_best="val", lr=1e-2)
    assert history.best_step == 20 and history.best_value == 0.9
    assert all(torch.equal(v, snapshots[1][k]) for k, v in model.state_dict().items())


def test_keep_best_minimize_and_errors():
    values = iter([3.0, 1.0, 2.0])
    history = run(steps=30, eval_fn=lambda m: {"loss": next(values)}, eval_every=10, keep_best="loss", minimize=True)
    assert history.best_step == 20 and history.best_value == 1.0
    with pytest.raises(ValueError, match="keep_best needs an eval_fn"):
        run(keep_best="acc")
    with pytest.raises(ValueError, match=r"keep_best='acc' is not among the metrics eval_fn returns: \['val'\]"):
        run(eval_fn=lambda m: {"val": 1.0}, keep_best="acc")


def test_patience_stops_after_evaluations_without_a_new_best():
    scores = iter([0.2, 0.6, 0.5, 0.55, 0.4, 0.9, 0.9])
    model = tiny_model()
    history = run(model, steps=70, eval_fn=lambda m: {"val": next(scores)}, eval_every=10, keep_best="val", patience=3)
    assert history.stopped_by_patience and history.steps_done == 50  # best at 20; 30, 40, 50 bring nothing new
    assert history.best_step == 20 and history.eval_step == [10, 20, 30, 40, 50]
    assert not history.stopped_early  # that flag is the wall-time cap's
    full = run(steps=70, eval_fn=lambda m: {"val": 0.5}, eval_every=10, keep_best="val")
    assert not full.stopped_by_patience and full.steps_done == 70
    rising = iter([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
    kept_going = run(steps=70, eval_fn=lambda m: {"val": next(rising)}, eval_every=10, keep_best="val", patience=1)
    assert not kept_going.stopped_by_patience and kept_going.best_step == 70


def test_a_tie_at_the_best_keeps_the_later_step_but_does_not_reset_patience():
    scores = iter([0.2, 0.6, 0.6, 0.5, 0.6, 0.4, 0.9])
    snapshots = []

    def eval_fn(model):
        snapshots.append({k: v.clone() for k, v in model.state_dict().items()})
        return {"val": next(scores)}

    model = tiny_model()
    history = run(model, steps=70, eval_fn=eval_fn, eval_every=10, keep_best="val", lr=1e-2, patience=4)
    # 0.6 first at step 20; ties at 30 and 50 move the best step (the latest of equals is kept) ...
    assert history.best_step == 50 and history.best_value == 0.6 and history.improved_step == 20
    assert all(torch.equal(v, snapshots[4][k]) for k, v in model.state_dict().items())
    # ... but only a strict improvement resets patience: 30, 40, 50, 60 bring nothing new, so it stops at 60
    assert history.stopped_by_patience and history.steps_done == 60
    lowest = iter([3.0, 1.0, 1.0, 2.0])
    tied = run(steps=40, eval_fn=lambda m: {"loss": next(lowest)}, eval_every=10, keep_best="loss", minimize=True)
    assert tied.best_step == 30 and tied.improved_step == 20


def test_patience_errors():
    with pytest.raises(ValueError, match="patience must be a positive int and needs keep_best"):
        run(patience=2, eval_fn=lambda m: {"val": 1.0}, eval_every=5)
    with pytest.raises(ValueError, match="patience must be a positive int"):
        run(patience=0, eval_fn=lambda m: {"val": 1.0}, eval_every=5, keep_best="val")
