"""One training step of a thesis network in PyTorch, from weights and a batch
written by the C++ test; writes logits, loss, every gradient and the
parameters after one Adam step.

usage: torch_step.py IN.safetensors OUT.safetensors
IN holds "param.<name>" tensors, "x" (float32), "y" (int32) and metadata
model, num_classes, lr, weight_decay. Dropout is off (eval mode) because the
two engines draw masks from different generators; dropout itself is checked
by the engine's gradient and parity tests.
"""
import sys

import numpy as np
import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import st  # noqa: E402
import torch_models  # noqa: E402


def main():
    tensors, meta = st.load(sys.argv[1])
    torch.set_num_threads(1)
    x = torch.from_numpy(tensors["x"])
    y = torch.from_numpy(tensors["y"]).long()
    model = torch_models.make_model(meta["model"], int(meta["num_classes"]), list(x.shape[1:]))
    state = {k[len("param."):]: torch.from_numpy(v) for k, v in tensors.items() if k.startswith("param.")}
    missing = set(dict(model.named_parameters())) ^ set(state)
    if missing:
        raise SystemExit(f"parameter names differ between engines: {sorted(missing)}")
    model.load_state_dict(state, strict=True)
    model.eval()
    opt = torch.optim.Adam(model.parameters(), lr=float(meta["lr"]), weight_decay=float(meta["weight_decay"]))
    logits = model(x)
    loss = torch.nn.functional.cross_entropy(logits, y)
    opt.zero_grad()
    loss.backward()
    out = {"logits": logits.detach().numpy(), "loss": np.array([loss.item()], dtype=np.float32)}
    for name, p in model.named_parameters():
        out["grad." + name] = p.grad.numpy().copy()
    opt.step()
    for name, p in model.named_parameters():
        out["after." + name] = p.detach().numpy().copy()
    st.save(sys.argv[2], out, {"torch": torch.__version__})


if __name__ == "__main__":
    main()
