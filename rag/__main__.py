from .serve.cli import run

run()
