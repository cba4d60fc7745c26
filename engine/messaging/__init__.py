"""Doctor–patient conversations (R-MSG): enabled by the doctor, written in the platform or by email
through a masked relay address per conversation, so neither side sees the other's address. The duty
doctor's chat before a consultation (route 2) is a conversation of kind `duty_chat`."""
