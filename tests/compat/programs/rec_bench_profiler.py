"""Recipe "PyTorch Profiler" (recipes/recipes/profiler_recipe) with a small conv net in place of
resnet18. Op timings differ run to run (and between torch and ember), and torch records
backend dispatch stages (aten::_convolution, aten::mkldnn_convolution, ...) that ember has no
counterpart for, so instead of whole tables this prints what is deterministic: the counts of
the recipe's ops, the table headers, grouped input shapes, the trace's layout and the
schedule's steps. Stack traces (with_stack) are left out: torch 2.13 records Python frames as
separate events, ember attaches them to the ops."""
import json

import torch
import torch.nn as nn
from torch.profiler import ProfilerActivity, profile, record_function, schedule

torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                      nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.AdaptiveAvgPool2d((1, 1)),
                      nn.Flatten(), nn.Linear(16, 10))
model.eval()
inputs = torch.randn(5, 3, 32, 32)
NAMES = ("model_inference", "aten::conv2d", "aten::convolution", "aten::batch_norm",
         "aten::native_batch_norm", "aten::relu", "aten::max_pool2d",
         "aten::max_pool2d_with_indices", "aten::adaptive_avg_pool2d", "aten::mean",
         "aten::flatten", "aten::linear", "aten::t", "aten::addmm")

# 3. Using profiler to analyze execution time
with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    with record_function("model_inference"):
        out = model(inputs)
print(out.shape, f"{out.sum().item():.4f}")

table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)
lines = table.splitlines()
print("\n".join(lines[:3]))      # the rows (times) vary
print(len(lines), lines[-1].split(":")[0])
counts = {e.key: e.count for e in prof.key_averages()}
for name in NAMES:
    print(f"{name:>32}  {counts.get(name)}")

grouped = prof.key_averages(group_by_input_shape=True)
print(grouped.table(sort_by="cpu_time_total", row_limit=10).splitlines()[1].split()[-2:])
for name in ("aten::conv2d", "aten::max_pool2d", "aten::linear", "aten::flatten"):
    for e in grouped:
        if e.key == name:
            print(name, e.input_shapes, e.count)

# 4. Using profiler to analyze memory consumption
with profile(activities=[ProfilerActivity.CPU], profile_memory=True, record_shapes=True) as prof:
    model(inputs)
for sort_by in ("self_cpu_memory_usage", "cpu_memory_usage"):
    t = prof.key_averages().table(sort_by=sort_by, row_limit=10).splitlines()
    print(t[1].split("  ")[-4:], len(t))

# 5. Using tracing functionality
with profile(activities=[ProfilerActivity.CPU]) as prof:
    with record_function("model_inference"):
        model(inputs)
prof.export_chrome_trace("trace.json")
with open("trace.json") as f:
    trace = json.load(f)
print(sorted(trace))
events = trace["traceEvents"]
print(sorted({e["ph"] for e in events}))
print(sorted({e["cat"] for e in events if e["ph"] == "X"}))
print([(e["cat"], sorted(e["args"])) for e in events if e["name"] == "model_inference"])
print([e["name"] for e in events if e["ph"] == "i"])

# 7. Using profiler to analyze long-running jobs
my_schedule = schedule(skip_first=10, wait=5, warmup=1, active=3, repeat=2)
print([my_schedule(i).name for i in range(28)])


def trace_handler(p):
    rows = {e.key: e.count for e in p.key_averages()}
    print("trace ready at step", p.step_num, rows.get("ProfilerStep*"),
          rows.get("aten::conv2d"), rows.get("aten::linear"))
    p.export_chrome_trace("/tmp/trace_" + str(p.step_num) + ".json")
    with open("/tmp/trace_" + str(p.step_num) + ".json") as f:
        steps = [e["name"] for e in json.load(f)["traceEvents"]
                 if e["name"].startswith("ProfilerStep#")]
    print(sorted(steps))


with profile(activities=[ProfilerActivity.CPU],
             schedule=torch.profiler.schedule(wait=1, warmup=1, active=2),
             on_trace_ready=trace_handler) as p:
    for idx in range(8):
        model(inputs)
        p.step()
print("steps:", p.step_num)
