import EnvctlCLI

@main
struct Entrypoint {
    static func main() async {
        await envctlMain()
    }
}
