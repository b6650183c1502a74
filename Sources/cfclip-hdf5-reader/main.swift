import BuildInfo
import Media

// Reads one HDF5 latent file for a cfclip process, over its stdin/stdout (Media/IsolatedLatentRows).
if CommandLine.arguments.dropFirst().first == "--version" {
    print(Version.text(program: "cfclip-hdf5-reader"))
} else {
    serveLatentReader(arguments: Array(CommandLine.arguments.dropFirst()))
}
