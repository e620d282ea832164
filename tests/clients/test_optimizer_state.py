"""An optimizer's state as MindSpore 2.10 holds it: Parameters of the optimizer Cell (global_step, the learning rate,
momentum, beta powers, moments ...) that parameters_dict lists, checkpoints save and load, and a run resumed from a
checkpoint continues bit for bit. Every expected name and value below was printed by MindSpore 2.10.0 CPU
(PYNATIVE_MODE, /work/msvenv) running the same optimizers on a Dense(3, 2) of weight ones and bias zeros, with the
same three gradients passed to the optimizer (opt((g_weight, g_bias))); its resumed runs (2 steps, save_checkpoint of
the optimizer, load_param_into_net into a new one, 1 step) equal its 3-step runs bit for bit."""
import numpy as np
import pytest

import gradserve as ms
from gradserve import Tensor, nn

G = [(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32), np.array([0.3, -0.6], np.float32)),
     (np.array([[-0.2, 0.4, 1.0], [0.5, -1.25, 0.125]], np.float32), np.array([-0.1, 0.9], np.float32)),
     (np.array([[1.0, 0.3, -0.5], [-0.75, 0.6, 0.2]], np.float32), np.array([0.25, 0.05], np.float32))]


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(3, 2, weight_init="ones", bias_init="zeros")

    def construct(self, x):
        return self.fc(x)


OPTS = {
    "SGD": lambda p: nn.SGD(p, 0.1),
    "SGDm": lambda p: nn.SGD(p, 0.1, momentum=0.9),
    "SGDn": lambda p: nn.SGD(p, 0.1, momentum=0.9, nesterov=True),
    "Momentum": lambda p: nn.Momentum(p, 0.1, 0.9),
    "Adam": lambda p: nn.Adam(p, 0.01),
    "AdamAms": lambda p: nn.Adam(p, 0.01, use_amsgrad=True),
    "AdamWD": lambda p: nn.AdamWeightDecay(p, 0.01, weight_decay=0.01),
    "Adagrad": lambda p: nn.Adagrad(p, learning_rate=0.01),
    "RMSProp": lambda p: nn.RMSProp(p, 0.01),
    "RMSPropC": lambda p: nn.RMSProp(p, 0.01, centered=True, momentum=0.5),
    "Lamb": lambda p: nn.Lamb(p, 0.01),
    "Adadelta": lambda p: nn.Adadelta(p),
    "AdaMax": lambda p: nn.AdaMax(p),
    "Rprop": lambda p: nn.Rprop(p),
    "ASGD": lambda p: nn.ASGD(p),
    "FTRL": lambda p: nn.FTRL(p),
    "ProximalAdagrad": lambda p: nn.ProximalAdagrad(p),
    "LARS": lambda p: nn.LARS(nn.Momentum(p, 0.1, 0.9)),
    "MomList": lambda p: nn.Momentum(p, [0.1, 0.05, 0.02], 0.9),
    "MomSched": lambda p: nn.Momentum(p, nn.ExponentialDecayLR(0.1, 0.9, 1), 0.9),
}

W, B = ["fc.weight", "fc.bias"], ["global_step", "learning_rate", "fc.weight", "fc.bias"]


def _slots(*prefixes):
    return [f"{p}.{n}" for p in prefixes for n in W]


# MindSpore 2.10: opt.parameters_and_names() (paths) and the names its TrainOneStepCell's checkpoint holds
PATHS = {
    "SGD": [*B, "momentum", *_slots("accum", "stat")],
    "Momentum": [*B, "momentum", *_slots("moments")],
    "Adam": [*B, "beta1_power", "beta2_power", *_slots("moment1", "moment2")],
    "AdamAms": [*B, "beta1_power", "beta2_power", *_slots("moment1", "moment2", "vhat")],
    "AdamWD": [*B, *_slots("adam_m", "adam_v")],
    "Adagrad": [*B, *_slots("accum")],
    "RMSProp": [*B, *_slots("mean_square", "moment")],
    "RMSPropC": [*B, *_slots("mean_grad", "mean_square", "moment")],
    "Lamb": [*B, *_slots("lamb_m", "lamb_v")],
    "Adadelta": [*B, *_slots("accum", "accum_update")],
    "AdaMax": [*B, "beta1_power", *_slots("moment1", "moment2")],
    "Rprop": [*B, *_slots("prev", "step_size")],
    "FTRL": [*B, *_slots("moments", "linear")],
    "ProximalAdagrad": [*B, *_slots("accum")],
    "ASGD": [*B, "mu_fc.weight", "mu_fc.bias", "eta_fc.weight", "eta_fc.bias", *_slots("ax_")],
    # (MindSpore's LARS holds a Parameter 'fake_param' too, after fake_lr: not in gradserve's)
    "LARS": [*B, "opt.learning_rate", "opt.momentum", *("opt." + n for n in _slots("moments"))],
    "MomList": ["global_step", *W, "momentum", *_slots("moments"), "learning_rate.learning_rate"],
    "MomSched": ["global_step", *W, "momentum", *_slots("moments")],
}
SHAPES = {"global_step": (1,), "learning_rate": (), "momentum": (), "beta1_power": (), "beta2_power": (),
          "learning_rate.learning_rate": (3,), "opt.learning_rate": (), "opt.momentum": (),
          "mu_fc.weight": (), "mu_fc.bias": (), "eta_fc.weight": (), "eta_fc.bias": ()}
NAMES = {"LARS": ["global_step", "fake_lr", *W, "learning_rate", "momentum", *_slots("moments")]}

_M1 = [1.225000023841858, -0.1499999463558197, 2.0199999809265137, 0.9149998426437378, -0.32249993085861206,
       -0.29499995708465576, 0.40299999713897705, 0.3739999532699585]  # Momentum's moments (weight, then bias)
_AM = [0.12250003218650818, -0.015000001527369022, 0.20200003683567047, 0.09150002151727676, -0.03225000202655792,
       -0.029500002041459084, 0.04030000790953636, 0.037400003522634506]  # Adam's first moment
_AV = [0.001289443694986403, 0.0012478249846026301, 0.0052409362979233265, 0.003057712921872735,
       0.0019832870457321405, 0.0006169770495034754, 0.00016230800247285515, 0.001170955365523696]
_WM = [0.8025000095367432, 1.1649999618530273, 0.3179999589920044, 0.5735000371932983, 1.1097500324249268,
       1.159500002861023, -0.08730000257492065, -0.013399988412857056]  # Momentum's weight and bias
_ACC = [1.3899999856948853, 1.350000023841858, 5.349999904632568, 3.1624999046325684, 2.0850000381469727,
        0.71812504529953, 0.26249998807907104, 1.2725000381469727]  # (Adagrad's accum from 0.1: FTRL's moments)
_ASGD_W = [0.8699721097946167, 1.0299692153930664, 0.7499749660491943, 0.8749727010726929, 1.0399692058563232,
           1.0424690246582031, -0.044999197125434875, -0.0349995419383049]
# MindSpore 2.10's values after the three steps: {name: weight's values + bias's} per slot, flattened
VALUES = {
    "SGDm": {"": _WM, "momentum": [0.8999999761581421], "accum": _M1, "stat": [0.0] * 8},
    "SGDn": {"": [0.6922499537467957, 1.1785000562667847, 0.13620001077651978, 0.49115005135536194,
                  1.1387749910354614, 1.1860499382019043, -0.12357001006603241, -0.047059983015060425],
             "accum": _M1, "stat": [0.0] * 8},
    "Momentum": {"": _WM, "moments": _M1},
    "Adam": {"": [0.9796526432037354, 1.014313817024231, 0.9750416874885559, 0.9779467582702637,
                  0.9974464178085327, 1.0177844762802124, -0.020392190665006638, 0.005315135233104229],
             "beta1_power": [0.7289999127388], "beta2_power": [0.9970030784606934],
             "moment1": _AM, "moment2": _AV},
    "AdamWD": {"": [0.9192875027656555, 1.0502469539642334, 0.9005719423294067, 0.9145247340202332,
                    1.000753402709961, 1.066074013710022, -0.08024783432483673, 0.010160763747990131],
               "adam_m": _AM, "adam_v": _AV},
    "Adagrad": {"": [0.9862691760063171, 1.0033891201019287, 0.9878562688827515, 0.9913315773010254,
                     0.9991602897644043, 1.0053364038467407, -0.009525904431939125, 0.00041706603951752186],
                "accum": _ACC},
    "RMSPropC": {"": [0.9832462668418884, 1.0080238580703735, 0.9597876667976379, 0.9750820994377136,
                      1.0082347393035889, 1.009172797203064, -0.006754206493496895, -0.0037335348315536976],
                 "mean_grad": _AM,
                 "mean_square": [0.8528499603271484, 0.8334000110626221, 1.1680001020431519, 0.9900000095367432,
                                 0.9106875061988831, 0.7799687385559082, 0.7434399724006653, 0.831309974193573],
                 "moment": [0.01113259419798851, 0.002866602735593915, 0.0043253167532384396, -0.0015025148168206215,
                            0.000573350116610527, 0.0010170703753829002, 0.0031371088698506355,
                            0.0036816447973251343]},
    "FTRL": {"": [0.46410444378852844, 0.6988275647163391, 0.8426117300987244, 0.7928489446640015,
                  0.21545149385929108, 0.6120193004608154, -0.0009525904897600412, 4.1706680349307135e-05],
             "moments": _ACC,
             "linear": [-547.1710205078125, -811.9642333984375, -1948.966552734375, -1409.9564208984375,
                        -311.101806640625, -518.6389770507812, 0.48805734515190125, -0.04704727977514267]},
    "ProximalAdagrad": {"": [0.9986269474029541, 1.0003389120101929, 0.998785674571991, 0.9991332292556763,
                             0.9999160170555115, 1.0005336999893188, -0.0009525904897600412, 4.17066621594131e-05],
                        "accum": _ACC},
    "ASGD": {"": _ASGD_W, "mu_": [1.0, 1.0], "eta_": [0.09999775141477585] * 2, "ax_": _ASGD_W},
    "MomList": {"": [0.9129999876022339, 1.128000020980835, 0.6196000576019287, 0.7392000555992126,
                     1.0327000617980957, 1.1084001064300537, -0.046560004353523254, 0.03452000394463539],
                "moments": _M1},
    "MomSched": {"": [0.8282750248908997, 1.1571500301361084, 0.384380042552948, 0.609385073184967,
                      1.0933724641799927, 1.14839506149292, -0.07794299721717834, -0.0026939846575260162],
                 "moments": _M1},
}


def _make(kind):
    net = Net()
    return net, OPTS[kind](net.trainable_params())


def _steps(opt, grads):
    for gw, gb in grads:
        opt((Tensor(gw), Tensor(gb)))


def _slot(opt, prefix):
    d = opt.parameters_dict()
    keys = W if prefix == "" else [f"{prefix}.{n}" for n in W] if f"{prefix}.fc.weight" in d else \
        [f"{prefix}{n}" for n in W] if f"{prefix}fc.weight" in d else [prefix]
    return np.concatenate([d[k].asnumpy().ravel() for k in keys])


@pytest.mark.parametrize("kind", sorted(PATHS))
def test_the_state_is_the_optimizers_parameters_under_mindspores_names(kind):
    net, opt = _make(kind)
    paths = [n for n, _ in opt.parameters_and_names()]
    assert paths == PATHS[kind]
    names = NAMES.get(kind) or [n.split(".", 1)[1] if n.startswith("learning_rate.") else n for n in paths]
    assert list(opt.parameters_dict()) == names
    for path, p in opt.parameters_and_names():
        want = (1,) if (kind, path) == ("AdaMax", "beta1_power") else \
            SHAPES.get(path, (2, 3) if path.endswith("weight") else (2,))  # (AdaMax's is (1,) in MindSpore 2.10)
        assert p.shape == want, path
        assert p.dtype == (ms.int32 if path == "global_step" else ms.float32), path
    # (the network's own Parameters stay the network's: its trainable_params are the two it had)
    assert [p.name for p in net.trainable_params()] == W
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), opt)
    assert [p.name for p in step.get_parameters()] == [*W, *(n for n in names if n not in W)]


def test_state_parameters_start_as_mindspores_and_are_the_attributes():
    _, opt = _make("SGD")
    np.testing.assert_array_equal(_slot(opt, "stat"), np.ones(8, np.float32))  # (MindSpore: stat starts at ones)
    np.testing.assert_array_equal(_slot(opt, "accum"), np.zeros(8, np.float32))
    assert opt.global_step.asnumpy().tolist() == [0]
    _, adam = _make("Adam")
    assert [p.name for p in adam.moment1] == ["moment1.fc.weight", "moment1.fc.bias"]
    assert adam.moment1[0] is adam.parameters_dict()["moment1.fc.weight"]
    assert float(adam.parameters_dict()["beta1_power"].asnumpy()) == 1.0


@pytest.mark.parametrize("kind", sorted(VALUES))
def test_values_after_three_steps_are_mindspores(kind, fake):  # (fake: the schedule's value is a graph's)
    _, opt = _make(kind)
    _steps(opt, G)
    assert opt.parameters_dict()["global_step"].asnumpy().tolist() == [3]
    for prefix, want in VALUES[kind].items():
        np.testing.assert_allclose(_slot(opt, prefix), np.array(want, np.float32), rtol=2e-6, atol=1e-9,
                                   err_msg=prefix)


@pytest.mark.parametrize("kind", sorted(VALUES) + ["SGD", "AdamAms", "Adadelta", "AdaMax", "Rprop", "RMSProp"])
def test_a_run_resumed_from_a_checkpoint_continues_bit_for_bit(kind, tmp_path, fake):
    _, straight = _make(kind)
    _steps(straight, G)
    _, first = _make(kind)
    _steps(first, G[:2])
    ms.save_checkpoint(first, str(tmp_path / "opt.ckpt"))
    net, resumed = _make(kind)
    assert ms.load_param_into_net(resumed, ms.load_checkpoint(str(tmp_path / "opt.ckpt"))) == ([], [])
    _steps(resumed, G[2:])
    want, got = straight.parameters_dict(), resumed.parameters_dict()
    assert list(got) == list(want)
    for k in want:
        np.testing.assert_array_equal(got[k].asnumpy(), want[k].asnumpy(), err_msg=k)


def test_a_loaded_state_is_what_the_next_step_reads():
    """A checkpoint's moments and global_step drive the next step: Momentum's v = 0.9 v + g from the loaded v;
    Adam's beta powers go on from the loaded ones."""
    _, opt = _make("Momentum")
    v = np.full((2, 3), 2.0, np.float32)
    ms.load_param_into_net(opt, {"moments.fc.weight": ms.Parameter(Tensor(v), name="moments.fc.weight"),
                                 "global_step": ms.Parameter(Tensor(np.array([7], np.int32)), name="global_step")})
    _steps(opt, G[:1])
    np.testing.assert_array_equal(opt.moments[0].asnumpy(), np.float32(0.9) * v + G[0][0])
    np.testing.assert_array_equal(opt.global_step.asnumpy(), [8])
    _, adam = _make("Adam")
    _steps(adam, G[:1])
    ms.load_param_into_net(adam, {"beta1_power": ms.Parameter(Tensor(np.float32(0.5)), name="beta1_power")})
    _steps(adam, G[1:2])
    assert adam.parameters_dict()["beta1_power"].asnumpy() == np.float32(0.5) * np.float32(0.9)


def test_a_training_cells_checkpoint_holds_the_optimizers_state(fake, tmp_path):
    """save_checkpoint(TrainOneStepCell): MindSpore 2.10's names (the network's, then the optimizer's); a new
    cell loaded from it continues as the first one does."""
    x = Tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32))
    y = Tensor(np.array([[0.1, -0.2], [0.3, 0.7]], np.float32))

    def cell():
        net, opt = _make("Adam")
        return nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), opt)

    a = cell()
    a(x, y), a(x, y)
    ms.save_checkpoint(a, str(tmp_path / "step.ckpt"))
    loaded = ms.load_checkpoint(str(tmp_path / "step.ckpt"))
    assert list(loaded) == [*W, "global_step", "learning_rate", "beta1_power", "beta2_power",
                            *_slots("moment1", "moment2")]
    b = cell()
    assert ms.load_param_into_net(b, loaded) == ([], [])
    a(x, y), b(x, y)
    for (k, p), (k2, q) in zip(a.parameters_dict().items(), b.parameters_dict().items()):
        assert k == k2
        np.testing.assert_array_equal(q.asnumpy(), p.asnumpy(), err_msg=k)
