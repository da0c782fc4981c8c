/// What an image's bytes depend on besides the lock: the git revision and source URL its labels carry,
/// and `SOURCE_DATE_EPOCH`, every timestamp in it. Declared once (as the lock's
/// `pushed.build`); the renderer, the builder and `reproduce --rebuild` all pass this value.
package typealias BuildInputs = PushedImage.BuildInputs
