"""Python classes for Switchboard's Protobuf schemas, generated with protoc into the work
directory at start (python3-protobuf and protoc come from Debian; nothing is checked in)."""

import glob
import importlib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.normpath(os.path.join(HERE, "..", "..", "schemas"))


def load(workdir):
    out = os.path.join(workdir, "gen")
    os.makedirs(out, exist_ok=True)
    protos = sorted(glob.glob(os.path.join(SCHEMAS, "switchboard", "v1", "*.proto")))
    subprocess.run(["protoc", "-I", SCHEMAS, "--python_out", out] + protos, check=True)
    for d in ("switchboard", os.path.join("switchboard", "v1")):
        open(os.path.join(out, d, "__init__.py"), "a").close()
    if out not in sys.path:
        sys.path.insert(0, out)
    names = [os.path.basename(p)[:-len(".proto")] + "_pb2" for p in protos]
    return {n: importlib.import_module("switchboard.v1." + n) for n in names}
