"""The shared basics every layer may use, and which import nothing else of the project:
languages (:mod:`.lang`), the error tree (:mod:`.errors`), strict content files
(:mod:`.content`), button data declared once (:mod:`.buttons`) and the translation catalogues
(:mod:`.i18n`)."""
