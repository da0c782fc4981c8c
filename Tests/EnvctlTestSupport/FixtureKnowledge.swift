package import EnvctlKnowledge

/// A small, fixed knowledge base for resolver tests, so report texts don't move when the built-in data grows.
/// Values mirror real facts (sources in knowledge/builtin.yaml) but only a few rows of each.
package let fixtureKnowledgeYAML = #"""
    schema_version: 1
    version: "test.1"
    date: "2026-01-01"
    sources:
      s: {url: "https://example.invalid/fixture"}
    cuda:
      - {version: "11.8.0", driver: "520.61.05", minor_compat_floor: "450.80.02", source: s, confidence: high}
      - {version: "12.1.1", driver: "530.30.02", minor_compat_floor: "525.60.13", source: s, confidence: high}
      - {version: "12.4.1", driver: "550.54.15", minor_compat_floor: "525.60.13", source: s, confidence: high}
      - {version: "12.8.1", driver: "570.124.06", minor_compat_floor: "525.60.13", source: s, confidence: high}
      - {version: "13.0.2", driver: "580.95.05", minor_compat_floor: "580.65.06", source: s, confidence: high}
    python:
      - {version: "3.9", source: s, confidence: high}
      - {version: "3.10", source: s, confidence: high}
      - {version: "3.11", source: s, confidence: high}
      - {version: "3.12", source: s, confidence: high}
      - {version: "3.13", source: s, confidence: high}
    python_builds:
      - version: "3.10.22"
        build: "20261009"
        flavour: install_only_stripped
        platforms:
          linux/amd64: {url: "https://github.com/astral-sh/python-build-standalone/releases/download/20261009/cpython-3.10.22%2B20261009-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz", sha256: "caa66b308e10f35b8114054df7d927903f971f631cfa3237b84c40d5d5f35549"}
          linux/arm64: {url: "https://github.com/astral-sh/python-build-standalone/releases/download/20261009/cpython-3.10.22%2B20261009-aarch64-unknown-linux-gnu-install_only_stripped.tar.gz", sha256: "ecbe978a7ecbeb3a9aed67bb5d161180701513b4fa8101037b2a3f1ac11e96be"}
        source: s
        confidence: high
      - version: "3.11.18"
        build: "20261110"
        flavour: install_only_stripped
        platforms:
          linux/amd64: {url: "https://github.com/astral-sh/python-build-standalone/releases/download/20261110/cpython-3.11.18%2B20261110-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz", sha256: "3288c54cea3db350052019b3f8b558dd8a3da8afa6fda573f5fd2bcb37635b4a"}
          linux/arm64: {url: "https://github.com/astral-sh/python-build-standalone/releases/download/20261110/cpython-3.11.18%2B20261110-aarch64-unknown-linux-gnu-install_only_stripped.tar.gz", sha256: "7e71f26a003949b57757e287f4f4b6689da07e7a229f5bbee7919c19ed77155d"}
        source: s
        confidence: high
      - version: "3.12.16"
        build: "20261110"
        flavour: install_only_stripped
        platforms:
          linux/amd64: {url: "https://github.com/astral-sh/python-build-standalone/releases/download/20261110/cpython-3.12.16%2B20261110-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz", sha256: "6a9e62dad033790aef722dbd370e0ce76ce17b73627ba3ae679f537049350b39"}
          linux/arm64: {url: "https://github.com/astral-sh/python-build-standalone/releases/download/20261110/cpython-3.12.16%2B20261110-aarch64-unknown-linux-gnu-install_only_stripped.tar.gz", sha256: "b6a41defec4975d94b4ff1950236e7383e5c02ba40ea48c9ec33c66087a35aab"}
        source: s
        confidence: high
      - version: "3.13.18"
        build: "20261110"
        flavour: install_only_stripped
        platforms:
          linux/amd64: {url: "https://github.com/astral-sh/python-build-standalone/releases/download/20261110/cpython-3.13.18%2B20261110-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz", sha256: "f2d2199eb25880e07863b391cf7124e7ffa1338b0d65600dfcec117c4223a7fb"}
          linux/arm64: {url: "https://github.com/astral-sh/python-build-standalone/releases/download/20261110/cpython-3.13.18%2B20261110-aarch64-unknown-linux-gnu-install_only_stripped.tar.gz", sha256: "55c00325f7c1fddf325dfc621aabdfbbac4dc54adda224af88ec411dc12db239"}
        source: s
        confidence: high
    os_python:
      - {os: ubuntu22.04, python: "3.10", package: python3.10, source: s, confidence: high}
      - {os: ubuntu22.04, python: "3.11", package: python3.11, package_version: "3.11.0~rc1", source: s, confidence: high}
      - {os: ubuntu24.04, python: "3.12", package: python3.12, source: s, confidence: high}
    architectures:
      - {sm: "7.0", family: Volta, first_cuda: "9.0", last_cuda: "12.9", source: s, confidence: high}
      - {sm: "8.0", family: Ampere, first_cuda: "11.0", source: s, confidence: high}
      - {sm: "8.9", family: Ada Lovelace, first_cuda: "11.8", source: s, confidence: high}
      - {sm: "9.0", family: Hopper, first_cuda: "11.8", source: s, confidence: high}
      - {sm: "12.0", family: Blackwell, first_cuda: "12.8", source: s, confidence: high}
    gpus:
      - {name: v100, sm: "7.0", source: s, confidence: high}
      - {name: a100, aliases: ["A100-SXM4-80GB"], sm: "8.0", source: s, confidence: high}
      - {name: l4, sm: "8.9", source: s, confidence: high}
      - {name: h100, sm: "9.0", source: s, confidence: high}
      - {name: rtx5090, sm: "12.0", source: s, confidence: high}
    frameworks:
      torch:
        package: torch
        index: "https://download.pytorch.org/whl/{variant}"
        releases:
          - version: "2.3.1"
            python: ">=3.8,<3.13"
            companions: {torchvision: "0.18.1", torchaudio: "2.3.1"}
            builds:
              - {variant: cu118, cuda: "11.8", cudnn: "8.7.0.84"}
              - {variant: cu121, cuda: "12.1", cudnn: "8.9.2.26"}
            source: s
            confidence: high
          - version: "2.5.1"
            python: ">=3.9,<3.13"
            companions: {torchvision: "0.20.1", torchaudio: "2.5.1"}
            builds:
              - {variant: cu118, cuda: "11.8", cudnn: "9.1.0.70"}
              - {variant: cu121, cuda: "12.1", cudnn: "9.1.0.70"}
              - {variant: cu124, cuda: "12.4", cudnn: "9.1.0.70", archs: ["5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0"]}
            source: s
            confidence: high
          - version: "2.8.0"
            python: ">=3.9,<3.14"
            companions: {torchvision: "0.23.0", torchaudio: "2.8.0"}
            builds:
              - {variant: cu126, cuda: "12.6", cudnn: "9.10.2.21", archs: ["5.0", "6.0", "7.0", "7.5", "8.0", "8.6", "9.0"]}
              - {variant: cu128, cuda: "12.8", cudnn: "9.10.2.21", archs: ["7.5", "8.0", "8.6", "9.0", "10.0", "12.0"]}
            source: s
            confidence: high
      tensorflow:
        package: tensorflow
        releases:
          - version: "2.18.0"
            python: ">=3.9,<3.13"
            builds:
              - {variant: and-cuda, cuda: "12.5", cudnn: "9.3", extra: and-cuda}
            source: s
            confidence: high
    images:
      repository: docker.io/nvidia/cuda
      tags:
        - cuda: "11.8.0"
          os: {ubuntu20.04: [base, runtime, devel, cudnn8-runtime, cudnn8-devel], ubuntu22.04: [base, runtime, devel, cudnn8-runtime, cudnn8-devel]}
          cudnn: "8.9.6.50"
          source: s
          confidence: high
        - cuda: "12.1.1"
          os: {ubuntu20.04: [base, runtime, devel, cudnn8-runtime, cudnn8-devel], ubuntu22.04: [base, runtime, devel, cudnn8-runtime, cudnn8-devel]}
          cudnn: "8.9.0.131"
          source: s
          confidence: high
        - cuda: "12.4.1"
          os: {ubuntu20.04: [base, runtime, devel], ubuntu22.04: [base, runtime, devel, cudnn-runtime, cudnn-devel]}
          cudnn: "9.1.0.70"
          source: s
          confidence: high
        - cuda: "12.5.1"
          os: {ubuntu22.04: [base, runtime, devel, cudnn-runtime, cudnn-devel], ubuntu24.04: [base, runtime, devel]}
          cudnn: "9.2.1.18"
          source: s
          confidence: high
        - cuda: "12.6.3"
          os: {ubuntu22.04: [base, runtime, devel, cudnn-runtime, cudnn-devel], ubuntu24.04: [base, runtime, devel, cudnn-runtime, cudnn-devel]}
          cudnn: "9.5.1.17"
          source: s
          confidence: high
        - cuda: "12.8.1"
          os: {ubuntu22.04: [base, runtime, devel, cudnn-runtime, cudnn-devel], ubuntu24.04: [base, runtime, devel, cudnn-runtime, cudnn-devel]}
          cudnn: "9.8.0.87"
          source: s
          confidence: high
    """#

package let fixtureKnowledge: KnowledgeBase = {
    do { return try KnowledgeBase.load(yaml: fixtureKnowledgeYAML, file: "fixture.yaml") } catch {
        fatalError("\(error)")
    }
}()
