"""A person's own work across the areas: the home page ("my work") and the visit
calendar (month, week, the personal iCal feed). It reads every domain area and sits
above them; no domain area imports it."""
