"""The training image is a pipeline parameter (set_container_image, kfp >= 2.11)."""
import sys
from kfp import compiler, dsl


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def train(epochs: int) -> str:
    return f"trained {epochs}"


@dsl.pipeline(name="param-image")
def pipeline(train_image: str = "registry.example.com/team/train:latest", epochs: int = 1):
    t = train(epochs=epochs)
    t.set_container_image(train_image)


if __name__ == "__main__":
    compiler.Compiler().compile(pipeline, sys.argv[1])
