import argparse
import csv
import os

p = argparse.ArgumentParser()
p.add_argument("--data")
p.add_argument("--greeting")
p.add_argument("--out")
p.add_argument("--limit", type=int, default=None)
a = p.parse_args()

with open(a.data) as f:
    rows = list(csv.DictReader(f))
total = sum(float(r["value"]) for r in rows[: a.limit])
print(f"{a.greeting}: {len(rows)} rows, total of the first {a.limit} = {total}")
with open(os.path.join(a.out, "report.txt"), "w") as f:
    f.write(f"total={total}\n")
os.makedirs("outputs", exist_ok=True)
with open("outputs/summary.txt", "w") as f:
    f.write(f"rows={len(rows)}\n")
