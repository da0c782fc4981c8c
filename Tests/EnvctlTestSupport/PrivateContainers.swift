import Foundation

/// Private podman/buildah configuration under a test directory, as ../shared/reference/container-tooling.md
/// found works on these machines: runc, explicit ulimits, no network, chroot isolation, its own storage,
/// and the test registries marked insecure (plain HTTP on loopback). Nothing touches /var/lib/containers.
package struct PrivateContainers {
    package let root: String
    /// CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, CONTAINERS_REGISTRIES_CONF, BUILDAH_ISOLATION, TMPDIR:
    /// pass it to every container tool and to envctl.
    package private(set) var environment: [String: String] = [:]

    /// `network` is podman's default network mode (`none`; `slirp4netns` for a test that publishes ports:
    /// it leaves no bridge or iptables rules behind).
    package init(in dir: TemporaryDirectory, insecureRegistries: [String], network: String = "none") throws {
        root = dir.path
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let nofile = min(limit.rlim_max, 1_048_576)
        try FileManager.default.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        try dir.write(
            "containers.conf",
            """
            [containers]
            default_ulimits = ["nofile=\(nofile):\(nofile)", "nproc=32768:32768"]
            netns = "\(network)"
            [engine]
            cgroup_manager = "cgroupfs"
            events_logger = "file"
            runtime = "runc"
            tmp_dir = "\(root)/tmp"

            """)
        let registries = insecureRegistries.map { "[[registry]]\nlocation = \"\($0)\"\ninsecure = true\n" }.joined()
        try dir.write("registries.conf", "unqualified-search-registries = []\n" + registries)
        environment = [
            "CONTAINERS_CONF": root + "/containers.conf", "CONTAINERS_REGISTRIES_CONF": root + "/registries.conf",
            "BUILDAH_ISOLATION": "chroot", "TMPDIR": root + "/tmp",
        ]
        try useStorage(named: "storage")
    }

    /// Switches to a (new or existing) storage called `name`; a fresh one proves a build needs no cache.
    package mutating func useStorage(named name: String) throws {
        let conf = "\(root)/\(name).conf"
        try "[storage]\ndriver = \"overlay\"\ngraphroot = \"\(root)/\(name)\"\nrunroot = \"\(root)/\(name)-run\"\n"
            .write(toFile: conf, atomically: true, encoding: .utf8)
        environment["CONTAINERS_STORAGE_CONF"] = conf
    }

    /// Removes containers and images from every storage this configuration used.
    package func removeEverything() {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter {
            $0.hasSuffix(".conf") && $0 != "containers.conf" && $0 != "registries.conf"
        }
        for conf in names {
            var e = environment
            e["CONTAINERS_STORAGE_CONF"] = "\(root)/\(conf)"
            _ = try? runProcess("podman", ["rm", "--all", "--force"], environment: e)
            _ = try? runProcess("buildah", ["rm", "--all"], environment: e)
            _ = try? runProcess("buildah", ["rmi", "--all", "--force"], environment: e)
        }
    }
}
