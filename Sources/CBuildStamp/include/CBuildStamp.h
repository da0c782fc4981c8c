#ifndef CBUILDSTAMP_H
#define CBUILDSTAMP_H

// Where this binary came from: the git revision and build date that scripts/release.sh stamps in.
// A plain `swift build` has no stamp: both return NULL (shown as a dev build by `envctl --version`).
// The defaults below are weak symbols; release.sh links one extra object with strong definitions
// (-Xlinker stamp.o), so stamping a release relinks the binary and recompiles nothing.
const char *CBuildStamp_revision(void);
const char *CBuildStamp_date(void);

#endif
