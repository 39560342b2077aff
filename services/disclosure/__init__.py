"""The one door out of the regional aggregate: releases, disclosure control and the privacy
budget."""
