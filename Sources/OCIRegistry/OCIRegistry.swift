// OCIRegistry: see Package.swift for this module's job.
enum OCIRegistryModule {}
