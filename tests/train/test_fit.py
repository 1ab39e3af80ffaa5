import copy
import csv
import json
import math

import pytest
import torch
import torch.nn.functional as F

from cifarlab.train import (HISTORY_COLUMNS, NonFiniteLossError, batch_loss, find_head, fit)
from cifarlab.train.trainable import set_trainable

torch.set_num_threads(1)  # a shared 2-core machine; and one thread is bit-reproducible


def make(driver, **loader_kw):
    torch.manual_seed(0)
    train = driver.TinyLoader(96, 16, seed=1, **loader_kw)
    val = driver.TinyLoader(48, 16, seed=2, shuffle=False)
    return driver.TinyNet(), train, val


def run_fit(driver, tmp_path, settings, model=None, train=None, val=None, **kw):
    if model is None:
        model, train, val = make(driver)
    return fit(model, train, val, settings, out_dir=tmp_path / "out",
               state_dir=tmp_path / "state", device="cpu", progress=False, **kw)


def val_loss_of(model, loader, label_smoothing=0.0):
    model.eval()
    with torch.no_grad():
        losses = [F.cross_entropy(model(x), y, label_smoothing=label_smoothing) * len(y)
                  for x, y in loader]
    return (sum(losses) / sum(len(y) for _, y in loader)).item()


def test_outputs_history_and_checkpoints(driver, tmp_path):
    model, train, val = make(driver)
    s = driver.settings(max_epochs=4)
    result = run_fit(driver, tmp_path, s, model, train, val)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["best.pt", "history.csv", "last.pt",
                                                     "train.json"]
    assert not (tmp_path / "state").exists()  # removed once the outputs are complete
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert tuple(rows[0]) == HISTORY_COLUMNS and [r["epoch"] for r in rows] == list("1234")
    assert [float(r["lr"]) for r in rows] == pytest.approx([0.1, 0.2, 0.15, 0.05])
    info = json.loads((out / "train.json").read_text())
    assert info["epochs_run"] == 4 and info["resumed_from_epoch"] == 0
    assert info["stop_reason"] == "completed" and info["stopped_early"] is False
    assert info["train_seconds"] == pytest.approx(result.train_seconds, abs=1e-3)
    best_epoch = min(result.history, key=lambda r: r["val_loss"])["epoch"]
    assert info["best_epoch"] == result.best_epoch == best_epoch
    # each checkpoint reproduces the val loss history recorded for its epoch
    for name, epoch in (("best.pt", best_epoch), ("last.pt", 4)):
        ckpt = torch.load(out / name, weights_only=True)
        assert ckpt["epoch"] == epoch and ckpt["settings"]["seed"] == s.seed
        model.load_state_dict(ckpt["state_dict"])
        assert val_loss_of(model, val) == pytest.approx(float(rows[epoch - 1]["val_loss"]))
        assert ckpt["metric"] == pytest.approx(float(rows[epoch - 1]["val_loss"]))


def test_early_stopping_keeps_the_best_not_the_last(driver, tmp_path):
    # val labels disagree with training labels: learning makes val loss worse and worse
    torch.manual_seed(0)
    model = driver.TinyNet()
    train = driver.TinyLoader(96, 16, seed=1)
    val = driver.TinyLoader(48, 16, seed=2, shuffle=False, label_shift=1)
    s = driver.settings(max_epochs=20, warmup_epochs=0, patience=2)
    result = run_fit(driver, tmp_path, s, model, train, val)
    assert result.stopped_early and result.stop_reason == "early_stopping"
    assert result.epochs_run == result.best_epoch + 2 < 20
    best = torch.load(tmp_path / "out" / "best.pt", weights_only=True)
    last = torch.load(tmp_path / "out" / "last.pt", weights_only=True)
    assert best["epoch"] == result.best_epoch != last["epoch"] == result.epochs_run
    assert not torch.equal(best["state_dict"]["fc.weight"], last["state_dict"]["fc.weight"])
    assert not (tmp_path / "out" / "best.pt").samefile(tmp_path / "out" / "last.pt")


def test_a_best_last_epoch_is_one_file_under_both_names(driver, tmp_path):
    model, train, val = make(driver)
    result = run_fit(driver, tmp_path, driver.settings(max_epochs=1, warmup_epochs=0), model, train, val)
    out = tmp_path / "out"
    assert result.best_epoch == 1 and (out / "best.pt").samefile(out / "last.pt")
    assert torch.load(out / "last.pt", weights_only=True)["epoch"] == 1


def test_monitor_val_acc_with_max_mode(driver, tmp_path):
    result = run_fit(driver, tmp_path, driver.settings(monitor="val_acc", max_epochs=3))
    accs = [r["val_acc"] for r in result.history]
    assert result.best_metric == max(accs)
    assert result.best_epoch == accs.index(max(accs)) + 1


def test_label_smoothing_reaches_the_loss(driver, tmp_path):
    model, train, val = make(driver)
    initial = copy.deepcopy(model)
    # lr so small the weights stay put: the recorded val loss is the initial model's
    s = driver.settings(max_epochs=1, warmup_epochs=0, lr=1e-12, label_smoothing=0.3)
    result = run_fit(driver, tmp_path, s, model, train, val)
    with_ls, without = val_loss_of(initial, val, 0.3), val_loss_of(initial, val, 0.0)
    assert result.history[0]["val_loss"] == pytest.approx(with_ls, rel=1e-6)
    assert abs(with_ls - without) > 1e-3


def test_soft_targets(driver, tmp_path):
    logits = torch.randn(8, 3)
    y = torch.softmax(torch.randn(8, 3), dim=1)
    loss, correct = batch_loss(logits, y)
    assert loss.item() == pytest.approx(-(y * logits.log_softmax(1)).sum(1).mean().item())
    assert correct.item() == (logits.argmax(1) == y.argmax(1)).sum().item()
    model, train, val = make(driver, soft=True)
    result = run_fit(driver, tmp_path, driver.settings(max_epochs=2), model, train, val)
    assert all(0.0 <= r["train_acc"] <= 1.0 and math.isfinite(r["train_loss"])
               for r in result.history)


def test_nan_guard_names_epoch_and_batch(driver, tmp_path):
    model, train, val = make(driver, poison=(2, 3))
    with pytest.raises(NonFiniteLossError, match=r"epoch 2, batch 3/6"):
        run_fit(driver, tmp_path, driver.settings(max_epochs=4), model, train, val)
    assert not (tmp_path / "out").exists()  # no half-finished outputs
    assert (tmp_path / "state" / "state.pt").exists()  # epoch 1 can be resumed


PHASES = [{"name": "head", "epochs": 2, "trainable": "head", "lr": 1e-2},
          {"name": "all", "epochs": None, "trainable": "all", "lr": 1e-3}]


@pytest.mark.parametrize("overrides, crash_epoch", [
    ({}, 3),
    ({"patience": 1, "monitor": "val_acc", "optimizer": "adam", "lr": 1e-2}, 2),
    ({"phases": PHASES, "warmup_epochs": 0, "optimizer": "adamw"}, 2),  # inside phase 1
    ({"phases": PHASES, "warmup_epochs": 0, "optimizer": "adamw"}, 3),  # at the boundary
])
def test_resume_in_process_equals_uninterrupted(driver, tmp_path, overrides, crash_epoch):
    """Crash in an epoch (NaN batch), rerun with clean data: same bits as one clean run."""
    s = driver.settings(max_epochs=4, **overrides)
    reference = run_fit(driver, tmp_path / "ref", s)
    ref_last = torch.load(tmp_path / "ref" / "out" / "last.pt", weights_only=True)
    model, train, val = make(driver, poison=(crash_epoch, 1))
    with pytest.raises(NonFiniteLossError):
        run_fit(driver, tmp_path, s, model, train, val)
    result = run_fit(driver, tmp_path, s)  # fresh model object, clean loader
    assert result.resumed_from_epoch == crash_epoch - 1 and "resumed" in result.resume_note
    last = torch.load(tmp_path / "out" / "last.pt", weights_only=True)
    for key, tensor in ref_last["state_dict"].items():
        assert torch.equal(tensor, last["state_dict"][key]), key
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in reference.history]
    assert strip == [{k: v for k, v in r.items() if k != "seconds"} for r in result.history]
    assert (result.best_epoch, result.stop_reason) == (reference.best_epoch,
                                                       reference.stop_reason)


def test_killed_while_writing_outputs_resumes_to_the_outputs(driver, tmp_path, monkeypatch):
    from cifarlab.train import trainer

    def boom(*args):
        raise KeyboardInterrupt("killed while writing history.csv")

    s = driver.settings(max_epochs=3)
    with monkeypatch.context() as m:
        m.setattr(trainer, "write_history", boom)
        with pytest.raises(KeyboardInterrupt):
            run_fit(driver, tmp_path, s)
    assert not (tmp_path / "out" / "train.json").exists()
    result = run_fit(driver, tmp_path, s)
    assert result.resumed_from_epoch == 3 and result.epochs_run == 3
    assert (tmp_path / "out" / "train.json").exists() and not (tmp_path / "state").exists()


def test_changed_settings_start_fresh(driver, tmp_path, caplog):
    model, train, val = make(driver, poison=(2, 1))
    with pytest.raises(NonFiniteLossError):
        run_fit(driver, tmp_path, driver.settings(max_epochs=3), model, train, val)
    result = run_fit(driver, tmp_path, driver.settings(max_epochs=3, lr=0.05))
    assert result.resumed_from_epoch == 0 and "fingerprint differs" in result.resume_note
    assert "fingerprint differs" in caplog.text
    assert result.epochs_run == 3


def test_amp_and_channels_last_run_on_cpu_in_bfloat16(driver, tmp_path):
    # tests/train/test_precision_cpu.py compares the numbers with the plain fit.
    result = run_fit(driver, tmp_path, driver.settings(max_epochs=1, warmup_epochs=0, amp=True,
                                                       channels_last=True, grad_clip=1.0))
    assert result.precision == "bfloat16" and result.device == "cpu"


def test_find_head_and_trainable_sets(driver):
    model = driver.TinyNet()
    assert find_head(model) is model.fc
    model.get_classifier = lambda: model.body[1]  # timm's accessor wins over attributes
    assert find_head(model) is model.body[1]
    with pytest.raises(ValueError, match="classifier head"):
        find_head(torch.nn.Sequential(torch.nn.Linear(2, 2)))
    model = driver.TinyNet()
    model.body[1].bias.requires_grad_(False)  # frozen by the caller: stays frozen
    base = {n: p.requires_grad for n, p in model.named_parameters()}
    head = set_trainable(model, "head", base)
    assert {id(p) for p in head} == {id(p) for p in model.fc.parameters()}
    assert not any(p.requires_grad for p in model.body.parameters())
    everything = set_trainable(model, "all", base)
    assert len(everything) == 3 and not model.body[1].bias.requires_grad


def test_phases_train_the_head_first_then_everything(driver, tmp_path):
    phases = [{**PHASES[0], "schedule": "constant"}, PHASES[1]]
    s = driver.settings(optimizer="adamw", warmup_epochs=0, max_epochs=2, phases=phases)
    model, train, val = make(driver)
    body0, fc0 = copy.deepcopy(model.body.state_dict()), copy.deepcopy(model.fc.state_dict())
    run_fit(driver, tmp_path / "a", s, model, train, val)  # capped: phase 1 only
    assert all(torch.equal(v, model.body.state_dict()[k]) for k, v in body0.items())
    assert not torch.equal(fc0["weight"], model.fc.weight)

    s = driver.settings(optimizer="adamw", warmup_epochs=0, max_epochs=4, phases=phases)
    model, train, val = make(driver)
    result = run_fit(driver, tmp_path / "b", s, model, train, val)
    assert [r["phase"] for r in result.history] == ["head", "head", "all", "all"]
    assert [r["lr"] for r in result.history] == pytest.approx([1e-2, 1e-2, 1e-3, 5e-4])
    assert not torch.equal(body0["1.weight"], model.body[1].weight)
    assert all(p.requires_grad for p in model.parameters())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_amp_channels_last_on_cuda(driver, tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8),
                                torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1),
                                torch.nn.Flatten(), torch.nn.Linear(8, 3))

    class OnDevice:
        def __init__(self, loader):
            self.loader = loader

        def __len__(self):
            return len(self.loader)

        def set_epoch(self, epoch):
            self.loader.set_epoch(epoch)

        def __iter__(self):
            return ((x.cuda(), y.cuda()) for x, y in self.loader)

    _, train, val = make(driver)
    s = driver.settings(max_epochs=2, warmup_epochs=0, amp=True, channels_last=True,
                        grad_clip=1.0)
    result = fit(model, OnDevice(train), OnDevice(val), s, out_dir=tmp_path / "out",
                 state_dir=tmp_path / "state", device="cuda", progress=False)
    assert result.precision in ("bfloat16", "float16") and result.device.startswith("cuda")
    assert all(math.isfinite(r["train_loss"]) for r in result.history)
