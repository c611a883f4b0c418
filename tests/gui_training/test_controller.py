"""The training controller and its worker thread against the headless core Trainer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnstudio.core import commands
from nnstudio.core.training import Trainer, initialize
from nnstudio.core.workflow import prepare_training
from nnstudio.gui.training import worker as worker_mod
from nnstudio.gui.training.controller import PAUSED, RUNNING

TIMEOUT = 20_000


def headless(project):
    """A core Trainer on the same data, from the project's network as it is now."""
    data = prepare_training(project)
    return Trainer(project.network.copy(), project.settings, data.X_train, data.Y_train,
                   data.X_val, data.Y_val)


def wait_done(qtbot, controller):
    qtbot.waitUntil(lambda: not controller.busy, timeout=TIMEOUT)


def parameters_equal(net, trainer) -> bool:
    return net.parameters() == trainer.parameters()


# ------------------------------------------------------------------ train to the end
def test_train_gives_the_headless_weights_exactly(qtbot, xor_project, make_controller):
    project = xor_project(epochs=60)
    ref = headless(project)
    expected = list(ref.train(60))
    document, controller = make_controller(project)

    with qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT):
        assert controller.train()
    assert controller.state == RUNNING
    wait_done(qtbot, controller)

    assert controller.state == PAUSED
    assert parameters_equal(document.network, ref)
    assert [r.to_dict() for r in project.history] == [r.to_dict() for r in expected]
    assert controller.latest.reason == worker_mod.EPOCHS
    # the learned weights came back as one undo step
    assert document.undo_stack.count() == 1
    assert document.undo_stack.text(0) == "Train epochs 1-60"
    assert project.state == ref.state()


def test_pause_step_resume_matches_the_same_steps_headless(qtbot, xor_project, make_controller):
    project = xor_project(epochs=0)          # 0: until paused
    document, controller = make_controller(project)
    ref = headless(project)

    controller.train()
    qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT).wait()
    with qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT):
        pass
    controller.pause(wait=True)
    assert controller.state == PAUSED and not controller.thread_running()
    steps = controller.latest.snapshot.step
    assert steps > 0
    for _ in range(steps):
        ref.step_batch()
    assert parameters_equal(document.network, ref)

    with qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT) as blocker:
        controller.step_batch()
    assert blocker.args[0].reason == worker_mod.STEP
    ref.step_batch()
    assert parameters_equal(document.network, ref)

    with qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT):
        controller.step_epoch()
    ref.run_epoch()
    assert parameters_equal(document.network, ref)
    assert controller.latest.snapshot.epoch == ref.epoch

    controller.train()                                   # resume
    qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT).wait()
    controller.pause(wait=True)
    for _ in range(controller.latest.snapshot.step - ref.step):
        ref.step_batch()
    assert parameters_equal(document.network, ref)
    assert all(level != "error" for level, _ in controller.messages)


def test_steps_merge_into_one_undo_step_and_undo_goes_back_exactly(qtbot, xor_project,
                                                                    make_controller):
    project = xor_project(epochs=0)
    document, controller = make_controller(project)
    before = document.network.parameters()
    for _ in range(3):
        with qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT):
            controller.step_batch()
    assert document.undo_stack.count() == 1
    assert document.undo_stack.text(0) == "Step training"
    after = document.network.parameters()
    assert after != before

    document.undo_stack.undo()
    assert document.network.parameters() == before
    assert project.state is None
    document.undo_stack.redo()
    assert document.network.parameters() == after


def test_training_continues_exactly_after_a_recompile(qtbot, xor_project, make_controller):
    """Edit-and-undo makes the session stale; the next Train recompiles from the model and
    the project's optimizer/random state, and the run goes on as if nothing happened."""
    project = xor_project(epochs=15, optimizer="adam", learning_rate=0.02)
    ref = headless(project)
    list(ref.train(30))
    document, controller = make_controller(project)

    controller.train()
    wait_done(qtbot, controller)
    document.push(commands.AddNeuron("hidden", 0, 0))
    document.undo_stack.undo()
    controller.train()
    wait_done(qtbot, controller)

    assert controller.latest.snapshot.epoch == 30
    assert parameters_equal(document.network, ref)


def test_moving_a_neuron_does_not_pause_training(qtbot, xor_project, make_controller):
    project = xor_project(epochs=0)
    document, controller = make_controller(project)
    controller.train()
    qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT).wait()
    nid = document.network.hidden()[0].id
    document.push(commands.MoveNeurons({nid: (5.0, 7.0)}))
    with qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT):
        pass
    assert controller.state == RUNNING
    controller.pause(wait=True)


# ------------------------------------------------------------------ editing while training
def _train_a_little(qtbot, controller):
    controller.train()
    for _ in range(2):
        qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT).wait()


def test_adding_a_neuron_while_training_pauses_keeps_weights_and_resumes(qtbot, xor_project,
                                                                         make_controller):
    project = xor_project(epochs=0)
    document, controller = make_controller(project)
    net = document.network
    initial = net.parameters()
    _train_a_little(qtbot, controller)

    first_hidden = [n.id for n in net.hidden()][:8]
    add = commands.AddLayer(1, sources=first_hidden, role="hidden")
    document.push(add)
    wait_done(qtbot, controller)
    assert controller.state == PAUSED

    trained_w, trained_b = controller.latest.parameters
    weights, biases = net.parameters()
    for key, w in trained_w.items():           # every surviving connection kept its weight
        assert weights[key] == w
    for nid, b in trained_b.items():
        assert biases[nid] == b
    assert weights != initial[0]
    assert any("network" in text for _level, text in controller.messages)

    with qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT):
        assert controller.train()              # resumes on the recompiled network
    assert controller.state == RUNNING
    qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT).wait()
    controller.pause(wait=True)
    assert not [m for m in controller.messages if m[0] == "error"]
    new_id = add.new_ids[0]
    assert any(k[1] == new_id for k in controller.latest.parameters[0])  # it trains too


def test_deleting_a_connection_while_training(qtbot, xor_project, make_controller):
    project = xor_project(epochs=0)
    document, controller = make_controller(project)
    net = document.network
    _train_a_little(qtbot, controller)

    gone = net.connections()[5].key
    document.push(commands.RemoveConnections([gone]))
    wait_done(qtbot, controller)
    trained_w, _ = controller.latest.parameters
    weights, _ = net.parameters()
    assert gone not in weights
    assert all(weights[k] == w for k, w in trained_w.items() if k != gone)

    controller.train()
    qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT).wait()
    controller.pause(wait=True)
    assert gone not in controller.latest.parameters[0]
    assert not [m for m in controller.messages if m[0] == "error"]


def test_a_weight_edited_while_training_is_not_overwritten(qtbot, xor_project, make_controller):
    project = xor_project(epochs=0)
    document, controller = make_controller(project)
    _train_a_little(qtbot, controller)
    key = document.network.connections()[0].key
    document.push(commands.SetWeight(*key, 1.25))
    wait_done(qtbot, controller)
    assert document.network.connection(*key).weight == 1.25


# ------------------------------------------------------------------ divergence
def test_a_huge_learning_rate_pauses_with_a_message_and_finite_weights(qtbot, linear_project,
                                                                       make_controller):
    project = linear_project(learning_rate=50.0, epochs=0)
    document, controller = make_controller(project)
    with qtbot.waitSignal(controller.sigMessage, timeout=TIMEOUT,
                          check_params_cb=lambda level, text: level == "warning") as blocker:
        controller.train()
    wait_done(qtbot, controller)
    level, text = blocker.args
    assert "diverged" in text and "smaller learning rate" in text
    assert controller.state == PAUSED
    assert controller.latest.reason == worker_mod.DIVERGED
    weights, biases = document.network.parameters()
    assert all(math.isfinite(v) for v in [*weights.values(), *biases.values()])
    assert all(math.isfinite(r.train_cost) for r in project.history)


# ------------------------------------------------------------------ stop rules
def test_target_cost_stops_where_headless_training_stops(qtbot, xor_project, make_controller):
    project = xor_project(epochs=500, target_cost=0.3)
    ref = headless(project)
    records = list(ref.train())
    assert ref.stop_reason and len(records) < 500
    document, controller = make_controller(project)
    controller.train()
    wait_done(qtbot, controller)
    assert controller.latest.reason == worker_mod.RULE
    assert len(project.history) == len(records)
    assert parameters_equal(document.network, ref)
    assert any("target" in text for _l, text in controller.messages)


def test_early_stop_on_validation_matches_headless(qtbot, xor_project, make_controller):
    project = xor_project(epochs=2000, early_stop_patience=5, learning_rate=2.0)
    ref = headless(project)
    records = list(ref.train())
    document, controller = make_controller(project)
    controller.train()
    wait_done(qtbot, controller)
    assert len(project.history) == len(records)
    assert parameters_equal(document.network, ref)


# ------------------------------------------------------------------ settings, reset, frames
def test_settings_change_live_and_are_undoable(qtbot, xor_project, make_controller):
    project = xor_project(epochs=0)
    document, controller = make_controller(project)
    controller.train()
    qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT).wait()
    controller.set_settings(project.settings.with_changes(learning_rate=0.05), "Learning rate")
    qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT).wait()
    controller.pause(wait=True)
    assert controller._box.trainer.settings.learning_rate == 0.05
    assert controller.state == PAUSED
    stack = document.undo_stack
    texts = [stack.text(i) for i in range(stack.count())]
    assert "Learning rate" in texts
    while stack.canUndo():
        stack.undo()
    assert project.settings.learning_rate == 0.5
    assert controller._box is None or controller._box.trainer.settings.learning_rate == 0.5


def test_reset_weights_reinitializes_with_the_seed(qtbot, xor_project, make_controller):
    project = xor_project(epochs=5, init="he", seed=11)
    document, controller = make_controller(project)
    controller.train()
    wait_done(qtbot, controller)
    assert project.history
    controller.reset_weights()
    expected = document.network.copy()
    initialize(expected, "he", 11)
    assert document.network.parameters() == expected.parameters()
    assert project.history == [] and project.state is None
    assert controller.epoch == 0
    document.undo_stack.undo()                 # undo the reset: the trained run is back
    assert len(project.history) == 5


def test_frames_are_rate_limited(qtbot, xor_project, make_controller):
    project = xor_project(epochs=0)
    _document, controller = make_controller(project)
    frames = []
    controller.sigFrame.connect(frames.append)
    controller.train()
    qtbot.wait(700)
    controller.pause(wait=True)
    # at most 30 a second (plus the final frame), however fast it trains
    assert 2 <= len(frames) <= 0.7 * worker_mod.MAX_FRAME_RATE + 3
    epochs = [f.snapshot.epoch for f in frames]
    assert epochs == sorted(epochs)
    assert len(project.history) == controller.latest.snapshot.epoch   # no record lost


def test_the_worker_waits_while_a_frame_is_drawn_and_never_long(qtbot, xor_project,
                                                                 make_controller, monkeypatch):
    """hold_worker: no step is taken until release_worker (the GUI draws without fighting
    the worker for the GIL), and a hold that is never released lasts HOLD_LIMIT only."""
    project = xor_project(epochs=0)
    _document, controller = make_controller(project)
    controller.train()
    qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT).wait()
    trainer = controller._worker.box.trainer
    monkeypatch.setattr(worker_mod, "HOLD_LIMIT", 5.0)   # no time-out during the check
    held = controller.hold_worker()
    assert held is controller._worker
    qtbot.wait(30)                                # the step under way ends
    held_at = trainer.step
    qtbot.wait(100)
    assert trainer.step == held_at
    controller.release_worker(held)
    qtbot.waitUntil(lambda: trainer.step > held_at + 10, timeout=TIMEOUT)
    # forgotten: after HOLD_LIMIT it trains on, a batch at a time, and is not stuck
    monkeypatch.setattr(worker_mod, "HOLD_LIMIT", 0.02)
    forgotten = controller.hold_worker()
    qtbot.wait(30)
    forgotten_at = trainer.step
    qtbot.waitUntil(lambda: trainer.step > forgotten_at + 2, timeout=TIMEOUT)
    controller.release_worker(forgotten)
    controller.pause(wait=True)
    assert controller.hold_worker() is None       # no worker: nothing to hold
    controller.release_worker(None)


def test_selected_sample_outputs_come_with_the_frames(qtbot, xor_project, make_controller):
    project = xor_project()
    _document, controller = make_controller(project)
    assert controller.prepare()
    session = controller.session
    with qtbot.waitSignal(controller.sigFrame, timeout=TIMEOUT) as blocker:
        controller.select_sample(7)
    frame = blocker.args[0]
    layout = frame.inspect_key
    assert layout.selected_row == 7
    ref = headless(project)
    np.testing.assert_allclose(frame.snapshot.outputs[layout.selected],
                               ref.predict(session.prepared.X[[7]])[0], rtol=1e-12, atol=1e-15)
    assert frame.snapshot.outputs[layout.eval].shape == (len(session.eval_rows), 1)


def test_cannot_train_without_data_says_why(qtbot, xor_project, make_controller):
    project = xor_project()
    project.data = None
    _document, controller = make_controller(project)
    assert not controller.train()
    level, text = controller.messages[-1]
    assert level == "error" and "Dataset panel" in text
    assert not controller.thread_running()


@pytest.mark.parametrize("action", ["shutdown", "replace"])
def test_shutdown_or_new_project_while_training_leaves_no_thread(qtbot, xor_project,
                                                                 make_controller, action):
    from nnstudio.core.settings import Project
    from nnstudio.core.graph import Network

    project = xor_project(epochs=0)
    document, controller = make_controller(project)
    _train_a_little(qtbot, controller)
    if action == "shutdown":
        controller.shutdown()
        assert document.undo_stack.count() == 1      # the learned weights were kept
    else:
        document.set_project(Project(Network()))
    assert not controller.thread_running()
    assert not worker_mod.running_threads()
