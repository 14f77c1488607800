"""Run exported AWS Lambda bundles as Lambda does: a Runtime API double (api.py) and a runner (runner.py)
that starts awslambdaric in our sandbox. A test double of AWS, not product code."""
