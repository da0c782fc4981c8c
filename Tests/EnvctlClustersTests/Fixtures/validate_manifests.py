"""Validates rendered manifests (one YAML file, several documents) for the given Kubernetes versions:
core kinds with kubernetes-validate (strict); PyTorchJob and JobSet with the committed CRD schemas (crds/), and
their embedded pod/Job templates with kubernetes-validate as core PodTemplate / Job objects.
Usage: validate_manifests.py FILE VERSION... ; prints one line per check, exits 1 on the first failure."""
import json, os, sys
import jsonschema, kubernetes_validate, yaml

HERE = os.path.dirname(os.path.abspath(__file__))
path, versions = sys.argv[1], sys.argv[2:]
docs = [d for d in yaml.safe_load_all(open(path)) if d]
def crd(name):
    return json.load(open(os.path.join(HERE, "crds", name)))
def core(obj, what):
    for v in versions:
        try:
            kubernetes_validate.validate(obj, v, strict=True)
        except Exception as e:
            print(f"INVALID {what} for Kubernetes {v}: {str(e).splitlines()[0]}")
            sys.exit(1)
        print(f"ok {what} {v}")
def pod_template(template, what):
    core({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": template}, what)
for d in docs:
    kind = d.get("kind")
    if kind == "PyTorchJob":
        jsonschema.validate(d, crd("pytorchjob-v1.schema.json"))
        print("ok PyTorchJob crd")
        for role, spec in d["spec"]["pytorchReplicaSpecs"].items():
            pod_template(spec["template"], f"PyTorchJob {role} template")
    elif kind == "JobSet":
        jsonschema.validate(d, crd("jobset-v1alpha2.schema.json"))
        print("ok JobSet crd")
        for rj in d["spec"]["replicatedJobs"]:
            core({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "t"}, "spec": rj["template"]["spec"]},
                 f"JobSet {rj['name']} job template")
    else:
        core(d, kind)
print(f"validated {len(docs)} documents")
