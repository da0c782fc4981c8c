"""Validates rendered manifests (one YAML file, several documents) for the given Kubernetes versions:
core kinds with kubernetes-validate (strict); PyTorchJob and JobSet with the committed CRD openAPIV3Schemas
(crds/*.openapi.yaml, copied from the projects' CRDs), and their embedded pod/Job templates with
kubernetes-validate as core PodTemplate / Job objects.

A CRD's structural schema becomes JSON Schema the way the API server reads it under strict field validation
(kubectl's default): an object with `properties` and no `additionalProperties` rejects unknown fields (the server
answers "unknown field" instead of pruning), int32/int64 formats bound integers, and the x-kubernetes-* markers
and `default` are dropped. Then the CRD's CEL rules (`x-kubernetes-validations`) are evaluated with cel-python
(`celpy`) at every schema node the object has, `self` being that node's value, as the API server does on create.
Transition rules (those naming `oldSelf`) are skipped and counted: the API server runs them only on update, against
the stored object, and a create has none. (Every rule in these CRDs is an immutability rule `self == oldSelf`,
except JobSet's startupPolicy/dependsOn exclusion, which is evaluated.)
Usage: validate_manifests.py FILE VERSION... ; prints one line per check, exits 1 on the first failure."""
import json, os, re, sys
import celpy, jsonschema, kubernetes_validate, yaml
from celpy import celtypes

HERE = os.path.dirname(os.path.abspath(__file__))
path, versions = sys.argv[1], sys.argv[2:]
docs = [d for d in yaml.safe_load_all(open(path)) if d]
BOUNDS = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1)}
def structural_to_jsonschema(node):
    if isinstance(node, list):
        return [structural_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: structural_to_jsonschema(v) for k, v in node.items()
           if not k.startswith("x-kubernetes-") and not k.startswith("x-envctl-") and k not in ("default", "format")}
    if node.get("format") in BOUNDS and node.get("type") == "integer":
        low, high = BOUNDS[node["format"]]
        out.setdefault("minimum", low)
        out.setdefault("maximum", high)
    if "properties" in node and "additionalProperties" not in node \
            and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out
def cel_nodes(schema, value, path, out):
    """Collects (path, rule, message, value) for the x-kubernetes-validations of every schema node `value` has."""
    for v in schema.get("x-kubernetes-validations", []):
        out.append((path or ".", v["rule"], v.get("message", ""), value))
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for key, sub in props.items():
            if key in value:
                cel_nodes(sub, value[key], f"{path}.{key}", out)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, sub_value in value.items():
                if key not in props:
                    cel_nodes(extra, sub_value, f"{path}[{key}]", out)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            cel_nodes(schema["items"], item, f"{path}[{i}]", out)
def cel(schema, obj, kind):
    env = celpy.Environment()
    found = []
    cel_nodes(schema, obj, "", found)
    evaluated = skipped = 0
    for path, rule, message, value in found:
        if re.search(r"\boldSelf\b", rule):
            skipped += 1
            continue
        try:
            result = env.program(env.compile(rule)).evaluate({"self": celpy.json_to_cel(value)})
        except Exception as e:
            print(f"INVALID {kind} CEL rule at {path} could not be evaluated: {rule!r}: {e}")
            sys.exit(1)
        if not (isinstance(result, celtypes.BoolType) and bool(result)):
            print(f"INVALID {kind} CEL rule at {path}: {message} ({rule!r} gave {result!r})")
            sys.exit(1)
        evaluated += 1
    print(f"ok {kind} cel: {evaluated} rules evaluated, {skipped} transition rules (oldSelf) skipped on create")
def crd(name, obj):
    spec = yaml.safe_load(open(os.path.join(HERE, "crds", name)))
    expected = f"{spec['group']}/{spec['version']}"
    if obj.get("apiVersion") != expected or obj.get("kind") != spec["kind"]:
        print(f"INVALID {obj.get('kind')}: apiVersion {obj.get('apiVersion')}, the CRD serves {expected}")
        sys.exit(1)
    try:
        jsonschema.validate(obj, structural_to_jsonschema(spec["openAPIV3Schema"]))
    except jsonschema.ValidationError as e:
        print(f"INVALID {spec['kind']} against its CRD at {'.'.join(map(str, e.absolute_path))}: {e.message}")
        sys.exit(1)
    print(f"ok {spec['kind']} crd {expected}")
    cel(spec["openAPIV3Schema"], obj, spec["kind"])
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
        crd("kubeflow.org_pytorchjobs.v1.openapi.yaml", d)
        for role, spec in d["spec"]["pytorchReplicaSpecs"].items():
            pod_template(spec["template"], f"PyTorchJob {role} template")
    elif kind == "JobSet":
        crd("jobset.x-k8s.io_jobsets.v1alpha2.openapi.yaml", d)
        for rj in d["spec"]["replicatedJobs"]:
            core({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "t"}, "spec": rj["template"]["spec"]},
                 f"JobSet {rj['name']} job template")
    else:
        core(d, kind)
print(f"validated {len(docs)} documents")
