from typing import Any

from django import forms

from clearway.core.forms import NHSForm


class SwitchServiceForm(NHSForm):
    service = forms.ChoiceField(label="Which service are you working in?", widget=forms.RadioSelect)

    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("service").choices = [(str(s.pk), s.name) for s in services]
