"""Train the NER's BiLSTM-CRF (kg/extract/bilstm.py) and write it as numpy arrays.

    pip install torch==2.13.0           # training only: tagging needs numpy alone
    python -m bench.train_tagger        # the shipped model -> kg/data/ner/bilstm.npz

The network: per token, the sum of the embeddings of its CRF features (`kg.extract.ner.doc_features`:
only the token's own word features, bigrams and marks, the window left to the LSTM), a bidirectional
LSTM (shipped: one layer of 64 units a direction; `--layers`, `--hidden`), a linear layer to the BIO
labels and a CRF on top (transitions that BIO forbids fixed at -1e4). Trained on the CRF's gold (bench.train_extractor's TRAIN_GOLD: the demo-corpus
guideline gold and the arxiv-recent train split) with Adam; the epoch kept is the one with the best
typed mention-overlap F1 on the arxiv-recent dev split, which is never trained on. test.jsonl is not read.

Reproducible: seeded (torch, Python), one fixed thread count, CPU, deterministic algorithms; the same
gold, seed and code give the same arrays (`--check` compares a retrain with the shipped file).
"""
from __future__ import annotations

import argparse
import collections
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.train_extractor import DEV_GOLD, TRAIN_GOLD
from bench.train_ner import CLUSTERS, feature_pipeline, load_records, overlap_f1, prepare
from kg.extract.bilstm import BILSTM_FILE
from kg.extract.ner import DEFAULT_MODEL_DIR

__all__ = ["HYPER", "export", "fit_tagger", "main", "train"]

WINDOW_PREFIXES = ("-2", "-1", "+1", "+2")
THREADS = 2


def _allowed(prev: str, label: str) -> bool:
    return not label.startswith("I-") or (prev != "O" and prev[2:] == label[2:])


def _network(n_features: int, labels: list[str], emb: int, hidden: int, layers: int, dropout: float):
    import torch
    from torch import nn

    n = len(labels)
    forbid = torch.tensor([[0.0 if _allowed(a, b) else -1e4 for b in labels] for a in labels])
    start_forbid = torch.tensor([-1e4 if l.startswith("I-") else 0.0 for l in labels])

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.EmbeddingBag(n_features + 1, emb, mode="sum", padding_idx=0)
            self.drop = nn.Dropout(dropout)
            self.lstm = nn.LSTM(emb, hidden, num_layers=layers, bidirectional=True, batch_first=True,
                                dropout=dropout if layers > 1 else 0.0)
            self.out = nn.Linear(2 * hidden, n)
            self.trans = nn.Parameter(torch.zeros(n, n))
            self.start = nn.Parameter(torch.zeros(n))
            self.end = nn.Parameter(torch.zeros(n))
            self.forbid, self.start_forbid = forbid, start_forbid

        def emissions(self, batch):
            seqs = [self.emb(ids, offsets) for ids, offsets in batch]
            lens = torch.tensor([len(s) for s in seqs])
            x = torch.zeros(len(seqs), int(lens.max()), emb)
            for i, s in enumerate(seqs):
                x[i, : len(s)] = s
            packed = nn.utils.rnn.pack_padded_sequence(self.drop(x), lens, batch_first=True, enforce_sorted=False)
            h, _ = self.lstm(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=x.shape[1])
            return self.out(self.drop(h)), lens

        def nll(self, em, lens, y):
            length = em.shape[1]
            trans, start = self.trans + self.forbid, self.start + self.start_forbid
            mask = torch.arange(length)[None, :] < lens[:, None]
            gold = (start[y[:, 0]] + (em.gather(2, y[:, :, None]).squeeze(2) * mask).sum(1)
                    + (trans[y[:, :-1], y[:, 1:]] * mask[:, 1:]).sum(1)
                    + self.end[y.gather(1, (lens - 1)[:, None]).squeeze(1)])
            alpha = start[None] + em[:, 0]
            for t in range(1, length):
                step = torch.logsumexp(alpha[:, :, None] + trans[None], 1) + em[:, t]
                alpha = torch.where(mask[:, t][:, None], step, alpha)
            return (torch.logsumexp(alpha + self.end[None], 1) - gold).sum()

        def decode(self, em, lens):
            trans = (self.trans + self.forbid).detach()
            start = (self.start + self.start_forbid).detach()
            paths = []
            for b in range(em.shape[0]):
                e = em[b, : lens[b]].detach()
                score, back = start + e[0], []
                for t in range(1, len(e)):
                    best, arg = (score[:, None] + trans).max(0)
                    score = best + e[t]
                    back.append(arg)
                k = int((score + self.end.detach()).argmax())
                path = [k]
                for arg in reversed(back):
                    k = int(arg[k])
                    path.append(k)
                paths.append([labels[i] for i in reversed(path)])
            return paths

    return Net()


def train(train_data, dev_data, *, centre: bool = True, emb: int = 64, hidden: int = 64, layers: int = 1,
          dropout: float = 0.3, lr: float = 3e-3, batch: int = 32, epochs: int = 14, seed: int = 0,
          min_count: int = 2, log=print) -> tuple[dict, float]:
    """Train on (features, BIO tags) pairs; return the arrays of the best epoch on dev and its F1."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    torch.set_num_threads(THREADS)
    torch.use_deterministic_algorithms(True)
    rng = random.Random(seed)

    def keep(f: str) -> bool:
        return not (centre and f.startswith(WINDOW_PREFIXES))

    counts = collections.Counter(f for x, _ in train_data for tok in x for f in tok if keep(f))
    attributes = sorted(f for f, c in counts.items() if c >= min_count)
    index = {f: i + 1 for i, f in enumerate(attributes)}  # 0: no feature (EmbeddingBag padding)
    labels = sorted({t for _, y in train_data for t in y})
    label_index = {t: i for i, t in enumerate(labels)}

    def encode(x):
        ids, offsets = [], []
        for tok in x:
            offsets.append(len(ids))
            ids.extend(index[f] for f in tok if f in index)
            if len(ids) == offsets[-1]:
                ids.append(0)
        return torch.tensor(ids), torch.tensor(offsets)

    net = _network(len(attributes), labels, emb, hidden, layers, dropout)
    examples = [(encode(x), torch.tensor([label_index[t] for t in y])) for x, y in train_data if x]
    dev_inputs = [encode(x) for x, _ in dev_data]
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i][1]), i))
    batches = [order[i:i + batch] for i in range(0, len(order), batch)]
    best, best_f1 = None, -1.0
    log(f"{len(attributes)} features, {len(examples)} papers, labels {labels}")
    for epoch in range(epochs):
        t0, total = time.perf_counter(), 0.0
        net.train()
        rng.shuffle(batches)
        for b in batches:
            em, lens = net.emissions([examples[i][0] for i in b])
            y = torch.zeros(len(b), em.shape[1], dtype=torch.long)
            for k, i in enumerate(b):
                y[k, : len(examples[i][1])] = examples[i][1]
            loss = net.nll(em, lens, y) / len(b)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            total += loss.item()
        net.eval()
        pred = []
        with torch.no_grad():
            for i in range(0, len(dev_inputs), 16):
                em, lens = net.emissions(dev_inputs[i:i + 16])
                pred += net.decode(em, lens)
        f1 = overlap_f1([y for _, y in dev_data], pred)
        log(f"epoch {epoch}: loss {total / len(batches):.2f}, dev overlap F1 {f1:.4f} ({time.perf_counter() - t0:.0f} s)")
        if f1 > best_f1:
            best, best_f1 = export(net, attributes, labels, layers), f1
    return best, best_f1


def export(net, attributes: list[str], labels: list[str], layers: int) -> dict:
    """The network's arrays as kg.extract.bilstm.BiLstmCRF reads them."""
    sd = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    arrays = {
        "embedding": sd["emb.weight"][1:].astype(np.float16),
        "attributes": np.frombuffer("\n".join(attributes).encode("utf-8"), dtype=np.uint8),
        "labels": np.frombuffer("\n".join(labels).encode("utf-8"), dtype=np.uint8),
        "n_layers": np.array(layers),
        "out_w": sd["out.weight"], "out_b": sd["out.bias"],
        "transitions": (sd["trans"] + net.forbid.numpy()).astype(np.float32),
        "start": (sd["start"] + net.start_forbid.numpy()).astype(np.float32),
        "end": sd["end"],
    }
    for k in range(layers):
        for d, suffix in (("fwd", ""), ("bwd", "_reverse")):
            arrays[f"l{k}_{d}_w_ih"] = sd[f"lstm.weight_ih_l{k}{suffix}"]
            arrays[f"l{k}_{d}_w_hh"] = sd[f"lstm.weight_hh_l{k}{suffix}"]
            arrays[f"l{k}_{d}_bias"] = sd[f"lstm.bias_ih_l{k}{suffix}"] + sd[f"lstm.bias_hh_l{k}{suffix}"]
    return arrays


HYPER = {"hidden": 64, "layers": 1, "emb": 64, "epochs": 14, "seed": 0}


def fit_tagger(train_records: Sequence[dict], dev_records: Sequence[dict], out: Path, log=print,
               **hyper) -> float:
    """Train on gold records (bench.train_ner.load_records' shape), pick the epoch on `dev_records`,
    write the arrays to `out`; the dev overlap F1 of the epoch kept. `hyper` overrides HYPER."""
    hp = {**HYPER, **hyper}
    clusters = json.loads(Path(CLUSTERS).read_text(encoding="utf-8"))
    nlp = feature_pipeline()
    train_data = prepare(list(train_records), nlp=nlp, clusters=clusters)
    dev_data = prepare(list(dev_records), nlp=nlp, clusters=clusters)
    arrays, f1 = train(train_data, dev_data, log=log, **hp)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    return f1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR / BILSTM_FILE)
    ap.add_argument("--train", type=Path, action="append", help="gold JSONL (default: the CRF's training gold)")
    ap.add_argument("--dev", type=Path, default=DEV_GOLD)
    ap.add_argument("--epochs", type=int, default=HYPER["epochs"])
    ap.add_argument("--seed", type=int, default=HYPER["seed"])
    ap.add_argument("--hidden", type=int, default=HYPER["hidden"],
                    help="LSTM units a direction (tagging cost grows with its square)")
    ap.add_argument("--layers", type=int, default=HYPER["layers"])
    ap.add_argument("--emb", type=int, default=HYPER["emb"], help="feature-embedding size")
    ap.add_argument("--check", action="store_true", help="train, then compare with the file at --out")
    args = ap.parse_args(argv)
    train_records = [r for p in (args.train or TRAIN_GOLD) for r in load_records(p)]
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    target = args.out
    with tempfile.TemporaryDirectory() as tmp:
        written = Path(tmp) / BILSTM_FILE
        f1 = fit_tagger(train_records, load_records(args.dev), written, log=log, epochs=args.epochs,
                        seed=args.seed, hidden=args.hidden, layers=args.layers, emb=args.emb)
        print(f"best dev overlap F1 {f1:.4f}")
        if args.check:
            with np.load(target, allow_pickle=False) as z, np.load(written, allow_pickle=False) as w:
                same = sorted(z.files) == sorted(w.files) and all(np.array_equal(z[k], w[k]) for k in w.files)
            print("same arrays as", target, "" if same else "-- DIFFERENT")
            return 0 if same else 1
        shutil.copyfile(written, target)
    print("wrote", target, f"({target.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
