"""HTTP scaffolding shared by the services: problem details, health, metrics."""

from lienthong.http.problems import (
    PROBLEM_JSON,
    Problem,
    install_problem_handlers,
    problem_response,
)

__all__ = ["PROBLEM_JSON", "Problem", "install_problem_handlers", "problem_response"]
