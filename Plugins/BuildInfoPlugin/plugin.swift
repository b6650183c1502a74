import Foundation
import PackagePlugin

/// Writes BuildInfo's generated constants (git commit, build date) before every build, through
/// scripts/build-info.sh, which rewrites the file only when the commit or its dirty state changed
/// (so an unchanged tree rebuilds nothing).
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let out = context.pluginWorkDirectoryURL.appending(path: "generated")
        return [.prebuildCommand(displayName: "Recording the git commit for --version",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: [root.appending(path: "scripts/build-info.sh").path, root.path, out.path],
                                 outputFilesDirectory: out)]
    }
}
