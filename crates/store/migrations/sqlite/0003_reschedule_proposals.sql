-- A provider proposes a new time; the buyer accepts (the booking moves) or declines
-- (it is cancelled at no cost to the buyer).
ALTER TABLE bookings ADD COLUMN proposed_start_ms INTEGER;
