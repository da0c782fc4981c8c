#!/usr/bin/env python3
"""Builds a tiny PEP 503 package index of stand-in wheels and serves it on 127.0.0.1.

envctl's tests pin Python packages with real `uv pip compile --generate-hashes` against this index,
so no test touches the network. Layout (all served from one root):

    /pypi/simple/<name>/         numpy, requests-lite ... (the "PyPI" stand-in; gpukern-x86/gpukern-arm are
                                 manylinux x86_64/aarch64 wheels)
    /whl/cu124/<name>/           torch 2.5.1+cu124, torchvision, torchaudio (the PyTorch CUDA index stand-in)
                                 (and 2.4.0+cu124 as manylinux x86_64 + aarch64 wheels, for examples/mixed-fleet)
    /whl/cu121/<name>/           the same for cu121
    /files/<wheel>               the wheel files

Usage: wheel_index.py ROOT_DIR [--serve [--parent PID]]   (prints "PORT <n>" once serving; exits when
stdin closes, or when process PID exits if --parent is given)
"""
import base64, hashlib, http.server, io, os, socketserver, sys, threading, time, zipfile


def wheel(name, version, requires=(), extras=(), platform="any"):
    dist = name.replace("-", "_")
    filename = f"{dist}-{version}-py3-none-{platform}.whl"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    for r in requires:
        meta += f"Requires-Dist: {r}\n"
    for extra, reqs in extras:
        meta += f"Provides-Extra: {extra}\n"
        for r in reqs:
            meta += f'Requires-Dist: {r}; extra == "{extra}"\n'

    files = {
        f"{dist}/__init__.py": f"__version__ = {version!r}\n",
        f"{dist}-{version}.dist-info/METADATA": meta,
        f"{dist}-{version}.dist-info/WHEEL": f"Wheel-Version: 1.0\nGenerator: envctl-tests\nRoot-Is-Purelib: {'true' if platform == 'any' else 'false'}\nTag: py3-none-{platform}\n",
    }
    record = ""
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(text.encode())}\n"
    record += f"{dist}-{version}.dist-info/RECORD,,\n"
    files[f"{dist}-{version}.dist-info/RECORD"] = record
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path, text in sorted(files.items()):
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            z.writestr(info, text)
    return filename, buf.getvalue()


INDEXES = {
    "pypi/simple": [
        ("numpy", "1.26.4", ()), ("numpy", "2.1.0", ()),
        ("tinyreq", "1.0.0", ("numpy>=1.26",)),
        ("filelock", "3.16.1", ()),
        ("tensorflow", "2.18.1", ("numpy",), (("and-cuda", ("nvidia-cudnn-cu12==9.3.0.75",)),)),
        ("nvidia-cudnn-cu12", "9.3.0.75", ()),
        ("jax", "0.12.0.1", ("jaxlib==0.12.0.1",), (("cuda12", ("jax-cuda12-plugin==0.12.0.1",)),)),
        ("jaxlib", "0.12.0.1", ("numpy",)),
        ("jax-cuda12-plugin", "0.12.0.1", ()),
        # A package whose kernels differ per platform (markers), each published only as that platform's
        # manylinux wheel (an aarch64 wheel stand-in): a two-platform lock pins each platform's own.
        ("gpukern", "1.0.0", (
            "gpukern-x86==1.0.0; platform_machine == 'x86_64'",
            "gpukern-arm==1.0.0; platform_machine == 'aarch64'")),
        ("gpukern-x86", "1.0.0", (), (), "manylinux_2_28_x86_64"),
        ("gpukern-arm", "1.0.0", (), (), "manylinux_2_28_aarch64"),
    ],
    # (Versions differ from the jax above: wheel files share one folder.)
    # A PyPI stand-in where a jax[cuda12]-like install pulls nvidia-* wheels; uv takes the newest 12.x ones.
    "pypi-cuda/simple": [
        ("numpy", "2.1.0", ()),
        ("jax", "0.12.0.2", ("jaxlib==0.12.0.2",), (("cuda12", ("jax-cuda12-plugin==0.12.0.2",)),)),
        ("jaxlib", "0.12.0.2", ("numpy",)),
        ("jax-cuda12-plugin", "0.12.0.2", (
            "nvidia-cuda-runtime-cu12>=12.1", "nvidia-cudnn-cu12>=9.1,<10", "nvidia-nccl-cu12>=2.18",
            "nvidia-cublas-cu12>=12.1")),
        ("nvidia-cuda-runtime-cu12", "12.6.77", ()), ("nvidia-cuda-runtime-cu12", "12.9.79", ()),
        ("nvidia-cudnn-cu12", "9.5.1.17", ()), ("nvidia-cudnn-cu12", "9.10.2.21", ()),
        ("nvidia-nccl-cu12", "2.21.5", ()), ("nvidia-nccl-cu12", "2.27.3", ()),
        ("nvidia-cublas-cu12", "12.6.4.1", ()), ("nvidia-cublas-cu12", "12.9.1.4", ()),
    ],
    "whl/cu124": [
        ("torch", "2.5.1+cu124", ("filelock",)),
        ("torchvision", "0.20.1+cu124", ("torch==2.5.1", "numpy")),
        ("torchaudio", "2.5.1+cu124", ("torch==2.5.1",)),
    ],
    "whl/cu121": [
        ("torch", "2.5.1+cu121", ("filelock",)),
        ("torchvision", "0.20.1+cu121", ("torch==2.5.1", "numpy")),
        ("torchaudio", "2.5.1+cu121", ("torch==2.5.1",)),
    ],
}


# examples/mixed-fleet (H100 + GH200): torch 2.4.0+cu124, the one 2.4.0 build with CUDA aarch64 wheels, as real
# platform wheels (manylinux x86_64 and manylinux aarch64: different bytes, so each platform's pin has its own
# hash), with its companions. `import torch; torch.__version__` gives "2.4.0+cu124".
INDEXES["whl/cu124"] += [
    ("torch", "2.4.0+cu124", ("filelock",), (), "manylinux_2_28_x86_64"),
    ("torch", "2.4.0+cu124", ("filelock",), (), "manylinux_2_28_aarch64"),
    ("torchvision", "0.19.0+cu124", ("torch==2.4.0", "numpy"), (), "manylinux_2_28_x86_64"),
    ("torchvision", "0.19.0+cu124", ("torch==2.4.0", "numpy"), (), "manylinux_2_28_aarch64"),
    ("torchaudio", "2.4.0+cu124", ("torch==2.4.0",), (), "manylinux_2_28_x86_64"),
    ("torchaudio", "2.4.0+cu124", ("torch==2.4.0",), (), "manylinux_2_28_aarch64"),
]

def build(root):
    os.makedirs(os.path.join(root, "files"), exist_ok=True)
    for index, dists in INDEXES.items():
        by_name = {}
        for name, version, requires, *rest in dists:
            extras = rest[0] if rest else ()
            platform = rest[1] if len(rest) > 1 else "any"
            filename, data = wheel(name, version, requires, extras, platform)
            with open(os.path.join(root, "files", filename), "wb") as f:
                f.write(data)
            sha = hashlib.sha256(data).hexdigest()
            by_name.setdefault(name, []).append((filename, sha))
        for name, entries in by_name.items():
            d = os.path.join(root, index, name)
            os.makedirs(d, exist_ok=True)
            links = "".join(f'<a href="/files/{fn}#sha256={sha}">{fn}</a><br/>\n' for fn, sha in entries)
            with open(os.path.join(d, "index.html"), "w") as f:
                f.write(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
        with open(os.path.join(root, index, "index.html"), "w") as f:
            f.write("".join(f'<a href="{n}/">{n}</a>\n' for n in sorted(by_name)))


def serve(root, parent=None):
    os.chdir(root)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Quiet)
    print(f"PORT {server.server_address[1]}", flush=True)
    if parent:
        # Stop when the parent process is gone (used by shell scripts).
        def watch():
            while True:
                try:
                    os.kill(parent, 0)
                except OSError:
                    os._exit(0)
                time.sleep(0.5)
        threading.Thread(target=watch, daemon=True).start()
    else:
        # Stop when the parent closes our stdin, so a crashed test leaves nothing behind.
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    build(sys.argv[1])
    if "--serve" in sys.argv:
        parent = int(sys.argv[sys.argv.index("--parent") + 1]) if "--parent" in sys.argv else None
        serve(sys.argv[1], parent)
