"""If/Else and ParallelFor: executors live in nested DAG components."""
import sys
from kfp import compiler, dsl

IMAGE = "registry.example.com/team/train:latest"


@dsl.component(base_image=IMAGE, install_kfp_package=False)
def flip() -> str:
    return "heads"


@dsl.component(base_image=IMAGE, install_kfp_package=False)
def work(item: int) -> int:
    return item * 2


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def tails() -> str:
    return "tails"


@dsl.pipeline(name="control-flow")
def pipeline():
    coin = flip()
    with dsl.If(coin.output == "heads"):
        with dsl.ParallelFor([1, 2, 3]) as item:
            work(item=item)
    with dsl.Else():
        tails()


if __name__ == "__main__":
    compiler.Compiler().compile(pipeline, sys.argv[1])
