"""名册 (roster) screen: the member table, the member form, a member's history."""
