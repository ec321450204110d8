"""Demo and benchmark data: `huifang demo` tells a year of follow-up work through the
real services (builder.py, under the controlled clock of clock.py); `huifang bench`
seeds the load benchmark's databases in bulk (bench_seed.py) and views_bench.py serves
the benchmark's reference pages. The top layer: it imports every area, none imports it."""
