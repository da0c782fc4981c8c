"""kfp-kubernetes settings: a second YAML document (platform spec)."""
import sys
from kfp import compiler, dsl, kubernetes

IMAGE = "registry.example.com/team/train:latest"


@dsl.component(base_image=IMAGE)
def train(epochs: int) -> str:
    return f"trained {epochs}"


@dsl.pipeline(name="k8s-platform-train")
def pipeline(epochs: int = 1):
    t = train(epochs=epochs)
    t.set_accelerator_type("nvidia.com/gpu").set_accelerator_limit(4)
    kubernetes.use_secret_as_env(t, secret_name="wandb", secret_key_to_env={"api-key": "WANDB_API_KEY"})
    kubernetes.set_image_pull_secrets(t, ["regcred"])
    kubernetes.add_toleration(t, key="nvidia.com/gpu", operator="Exists", effect="NoSchedule")
    kubernetes.add_node_selector(t, label_key="cloud.google.com/gke-accelerator", label_value="nvidia-h100-80gb")
    kubernetes.set_image_pull_policy(t, "IfNotPresent")


if __name__ == "__main__":
    compiler.Compiler().compile(pipeline, sys.argv[1])
