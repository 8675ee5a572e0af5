"""Time write_rdf (all three formats) of one kg.nt with the kg package at sys.argv[1]."""
import sys, time, shutil, tempfile
sys.path.insert(0, sys.argv[1])
import kg.rdf as r
assert r.__file__.startswith(sys.argv[1]), r.__file__
g = r.read_rdf(sys.argv[2])
best = []
for _ in range(int(sys.argv[3])):
    out = tempfile.mkdtemp(prefix="schema-stage-")
    t = time.perf_counter(); r.write_rdf(g, out); best.append(time.perf_counter() - t)
    shutil.rmtree(out)
print(sys.argv[1], "write_rdf ttl+nt+jsonld:", " ".join(f"{x:.2f}" for x in best), "s; min", f"{min(best):.2f}")
