-- Theming per app (issue 12): each app's appearance as JSON text, kept as the model
-- re-serialised it (payout_model::appearance), `{}` for the built-in look.
ALTER TABLE apps ADD COLUMN appearance TEXT NOT NULL DEFAULT '{}';
