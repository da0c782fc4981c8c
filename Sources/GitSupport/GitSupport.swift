// GitSupport: see Package.swift for this module's job.
enum GitSupportModule {}
