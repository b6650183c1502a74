import Media

// Reads one HDF5 latent file for a cfclip process, over its stdin/stdout (Media/IsolatedLatentRows).
serveLatentReader(arguments: Array(CommandLine.arguments.dropFirst()))
