"""Two lightweight components on the team image; train pip-installs numpy and requests one GPU."""
import sys
from kfp import compiler, dsl

IMAGE = "registry.example.com/team/train:latest"


@dsl.component(base_image=IMAGE)
def prepare_data(rows: int, out_data: dsl.Output[dsl.Dataset]) -> str:
    with open(out_data.path, "w") as f:
        for i in range(rows):
            f.write(f"{i},{i * i}\n")
    return f"wrote {rows} rows"


@dsl.component(base_image=IMAGE, packages_to_install=["numpy==1.26.4"])
def train(data: dsl.Input[dsl.Dataset], epochs: int, model: dsl.Output[dsl.Model]) -> float:
    with open(model.path, "w") as f:
        f.write(f"epochs={epochs}\n")
    return 1.0


@dsl.pipeline(name="lightweight-gpu-train", description="Two lightweight components; train requests one GPU.")
def pipeline(rows: int = 100, epochs: int = 3):
    data = prepare_data(rows=rows)
    t = train(data=data.outputs["out_data"], epochs=epochs)
    t.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(1).set_cpu_limit("8").set_memory_limit("32G")


if __name__ == "__main__":
    compiler.Compiler().compile(pipeline, sys.argv[1])
