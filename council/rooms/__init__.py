"""Live coordination rooms: the room, its members and its event stream."""
