-- Where a request was made (docs/domain.md §12): the public API, or the Origin header of a backend create.
ALTER TABLE invitations ADD COLUMN origin text CHECK (char_length(origin) <= 100);
