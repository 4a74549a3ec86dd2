-- /search author:... : the author filter is kept with the search, so that its pages turn with the same filter.
ALTER TABLE searches ADD COLUMN author TEXT;
