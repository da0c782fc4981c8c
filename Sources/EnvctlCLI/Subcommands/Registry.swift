import ArgumentParser

// One list of verbs, so a new subcommand file adds itself with one line here.
let registeredSubcommands: [any ParsableCommand.Type] = [
    EnvctlCommand.Resolve.self,
    EnvctlCommand.Lock.self,
    EnvctlCommand.Add.self,
    EnvctlCommand.Upgrade.self,
    EnvctlCommand.Explain.self,
    EnvctlCommand.Doctor.self,
    EnvctlCommand.Run.self,
    EnvctlCommand.Runs.self,
    EnvctlCommand.Push.self,
    EnvctlCommand.Copy.self,
    EnvctlCommand.Mirror.self,
    EnvctlCommand.Inspect.self,
    EnvctlCommand.Login.self,
    EnvctlCommand.Logout.self,
    EnvctlCommand.Sha256.self,
    EnvctlCommand.Pipeline.self,
    EnvctlCommand.Reproduce.self,
    EnvctlCommand.Diff.self,
    EnvctlCommand.Dockerfile.self,
    EnvctlCommand.Build.self,
    EnvctlCommand.Sbom.self,
    EnvctlCommand.Verify.self,
    EnvctlCommand.Job.self,
]
