import Foundation
import PackagePlugin

/// Runs `tools/source-checkout.sh` before every build of the target it is
/// applied to; its output (one Swift file) is compiled into that target.
/// A prebuild command, not a build command: the commit can change without
/// any input file of the build changing.
@main
struct SourceCheckoutPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let out = context.pluginWorkDirectoryURL.appendingPathComponent("generated")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let package = context.package.directoryURL
        return [.prebuildCommand(
            displayName: "Recording the source checkout's commit",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: [package.appendingPathComponent("tools/source-checkout.sh").path, package.path,
                        out.appendingPathComponent("BuiltCheckout+Generated.swift").path],
            outputFilesDirectory: out)]
    }
}
