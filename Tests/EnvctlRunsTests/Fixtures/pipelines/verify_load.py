"""Loads a (pinned) pipeline with the real kfp SDK, recompiles it, and prints what kfp sees."""
import json
import sys

import yaml
from kfp import compiler, components

component = components.load_component_from_file(sys.argv[1])
compiler.Compiler().compile(component, sys.argv[2])
with open(sys.argv[2]) as f:
    docs = list(yaml.safe_load_all(f))
spec = docs[0]
print(json.dumps({
    "images": {k: v["container"]["image"] for k, v in spec["deploymentSpec"]["executors"].items() if "container" in v},
    "defaults": {k: v.get("defaultValue") for k, v in spec["root"].get("inputDefinitions", {}).get("parameters", {}).items()},
    "documents": len(docs),
    "platform_executors": sorted(docs[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]) if len(docs) > 1 else [],
}, sort_keys=True))
