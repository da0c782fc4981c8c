import ArgumentParser
import RegexBuilder

extension EnvctlCommand {
    /// Parses `arguments` exactly as the command line is parsed (subcommand, options, `validate()`) without
    /// running anything: nil when they parse (`--help` and `--version` included), otherwise ArgumentParser's
    /// message. The documented-examples test checks every command line shown in the docs with it.
    package static func parseError(_ arguments: [String]) -> String? {
        do {
            _ = try parseAsRoot(arguments)
            return nil
        } catch {
            return exitCode(for: error) == .success ? nil : fullMessage(for: error)
        }
    }
}

extension EnvctlCommand {
    /// For a command synopsis as the docs write it in prose (`envctl push SOURCE [DEST] [--tag T]… [--json]`):
    /// the subcommand path it names and the option names it shows (`--tag`, `-o`) that the subcommand's help
    /// does not list. Placeholders, brackets and alternatives are ignored; the text after a `|` pipe is not
    /// envctl's.
    package static func unknownOptions(inSynopsis words: [String]) -> (command: String, unknown: [String]) {
        var command: any ParsableCommand.Type = EnvctlCommand.self
        var path = ["envctl"]
        var rest = words[...]
        while let word = rest.first,
            let sub = command.configuration.subcommands.first(where: { $0._commandName == word })
        {
            command = sub
            path.append(word)
            rest = rest.dropFirst()
        }
        // A command with a default subcommand (`runs` → `runs list`) takes that one's options too.
        var help = helpMessage(for: command, columns: 10_000)
        if let fallback = command.configuration.defaultSubcommand {
            help += "\n" + helpMessage(for: fallback, columns: 10_000)
        }
        var unknown: [String] = []
        for word in rest {
            if word == "|" { break }
            for match in word.matches(of: #/(?:^|[\[|(])(--?[A-Za-z][A-Za-z0-9-]*)/#) {
                let flag = String(match.output.1)
                // ArgumentParser's own options, which the help text doesn't list.
                if flag == "--help" || flag == "-h" || (path == ["envctl"] && flag == "--generate-completion-script") {
                    continue
                }
                let shown = help.contains(
                    Regex<Substring> {
                        ChoiceOf {
                            Anchor.startOfLine
                            CharacterClass.whitespace
                            ","
                            "["
                        }
                        flag
                        ChoiceOf {
                            Anchor.endOfLine
                            CharacterClass.whitespace
                            ","
                            "="
                            "<"
                            "]"
                        }
                    })
                if !shown && !unknown.contains(flag) { unknown.append(flag) }
            }
        }
        return (path.joined(separator: " "), unknown)
    }
}
