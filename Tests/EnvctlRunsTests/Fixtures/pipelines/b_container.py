"""Container components: one on the team image, one on an external image."""
import sys
from kfp import compiler, dsl


@dsl.container_component
def train(epochs: int, model: dsl.Output[dsl.Model]):
    return dsl.ContainerSpec(
        image="registry.example.com/team/train:v1",
        command=["python", "-m", "train"],
        args=["--epochs", epochs, "--out", model.path],
    )


@dsl.container_component
def notify(message: str):
    return dsl.ContainerSpec(image="docker.io/library/busybox:1.36", command=["echo"], args=[message])


@dsl.pipeline(name="container-train")
def pipeline(epochs: int = 2):
    t = train(epochs=epochs)
    t.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(2)
    notify(message="done").after(t)


if __name__ == "__main__":
    compiler.Compiler().compile(pipeline, sys.argv[1])
