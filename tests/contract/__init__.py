"""Contract tests: every operation of every service against its own OpenAPI document
(schemathesis 4), with credentials, plus missing and wrong credentials everywhere.

Generated requests per operation (`EXAMPLES` in each module; derandomized, so a run repeats):
intake 60 (and 40 chains of up to 6 calls along links from a submission), routing 80, agency
adapter 50, survey 40, notify 60, console 40, the kernel's operational routes 25. The whole
directory takes about a minute on the project's 2-core machine when it is otherwise idle:

    python3 -m uv run pytest tests/contract -q
"""
