"""bench.pipeline: open-loop load at fixed rates through the REST API with every stage live.

    python -m bench.pipeline --rates 50,100,200,500 --duration 30 [--workers 1|2] [--json PATH] [--plot PNG]

Per rate: decided/s and completed/s, latency POST → decided (the 201) and POST → completed (seen on
`orders.events`) and POST → webhook received, CPU and RSS per process, consumer lag per group;
next to two baselines measured in the same run with the same open-loop client: a bare FastAPI
echo endpoint and an aiokafka consume→produce passthrough. Method: docs/performance.md.

| module | what |
| --- | --- |
| `cli.py` | options, the order of the run, cleanup, JSON |
| `open_loop.py` | the fixed-rate scheduler (late and dropped sends) |
| `phases.py` | one step per system and rate, order bodies |
| `observe.py` | completions from `orders.events` (group-less consumer), the webhook receiver |
| `stack.py` | `quadra up`, the second `quadra worker` (what it needs), the echo server process |
| `lag.py` | consumer lag per group over time, growing or not |
| `procs.py` | CPU and RSS per process (psutil), load average |
| `summary.py`, `report.py` | rows, percentiles and ratios, the printed table |
| `plot.py` | latency vs rate PNG from the JSON |
| `echo.py` | the HTTP baseline server |
"""
