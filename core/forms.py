"""Form plumbing for GOV.UK pages, and core's own forms."""

from allauth.account.forms import LoginForm as AllauthLoginForm
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Submit
from django import forms
from django.utils import timezone

from .api.scopes import SCOPES

# Error styles crispy-forms-gds leaves out (it only marks text inputs, textareas and selects, and
# gives selects the input class).
_ERROR_CLASS = {
    "Select": "govuk-select--error",
    "EmailInput": "govuk-input--error",
    "NumberInput": "govuk-input--error",
    "PasswordInput": "govuk-input--error",
    "DateInput": "govuk-input--error",
    "TimeInput": "govuk-input--error",
    "URLInput": "govuk-input--error",
}


def _base_class(widget) -> str | None:
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput | forms.FileInput):
        return None
    for kind, css in (
        (forms.Select, "govuk-select"),
        (forms.Textarea, "govuk-textarea"),
        (forms.NumberInput, "govuk-input govuk-input--width-5"),
        (forms.DateInput, "govuk-input govuk-input--width-10"),
        (forms.TimeInput, "govuk-input govuk-input--width-5"),
    ):
        if isinstance(widget, kind):
            return css
    if isinstance(widget, forms.widgets.Input) and widget.input_type not in ("hidden", "checkbox", "radio", "file"):
        return "govuk-input"
    return None


def style_widgets(form):
    """Give every widget its GOV.UK class (used for filter forms, which are not GovukForms)."""
    for field in form.fields.values():
        base = _base_class(field.widget)
        if base and base.split()[0] not in field.widget.attrs.get("class", ""):
            field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {base}".strip()
    return form


class GovukFormMixin:
    """Every form: a GOV.UK FormHelper (no browser validation: errors come from the server, in a
    summary), a submit button named by `submit_label`, and error styles on every input type."""

    submit_label = "Continue"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()  # no layout: every field, including ones added after __init__
        self.helper.attrs = {"novalidate": ""}
        self.helper.form_show_errors = True
        self.helper.add_input(Submit("submit", self.submit_label))
        style_widgets(self)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            field = self.fields.get(name)
            if field is None:
                continue
            error_class = _ERROR_CLASS.get(field.widget.__class__.__name__)
            if error_class and error_class not in field.widget.attrs.get("class", ""):
                field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {error_class}".strip()


class GovukForm(GovukFormMixin, forms.Form):
    pass


class GovukModelForm(GovukFormMixin, forms.ModelForm):
    pass


class DateInput(forms.DateInput):
    """A date field for keyboards and screen readers: `type=date` with an ISO value."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "govuk-input govuk-input--width-10", **(attrs or {})}, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    """A time of day for keyboards and screen readers: `type=time` with a 24-hour value."""

    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "govuk-input govuk-input--width-5", **(attrs or {})}, format="%H:%M")


class ApiTokenForm(GovukForm):
    submit_label = "Issue token"

    name = forms.CharField(
        label="Integration name",
        max_length=100,
        help_text="The system that will use the token, for example ‘Finance ledger’.",
        error_messages={"required": "Enter the name of the integration"},
    )
    scopes = forms.MultipleChoiceField(
        label="What may it do?",
        choices=list(SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one scope"},
    )
    expires_on = forms.DateField(
        label="Expiry date",
        required=False,
        widget=DateInput(),
        help_text="The last day the token works. Leave blank for no expiry (not recommended).",
    )

    def clean_expires_on(self):
        value = self.cleaned_data.get("expires_on")
        if value and value < timezone.localdate():
            raise forms.ValidationError("The expiry date must be today or in the future")
        return value


class TherapyTypeForm(GovukForm):
    submit_label = "Add therapy type"

    name = forms.CharField(
        label="Name of the therapy",
        max_length=100,
        error_messages={"required": "Enter the name of the therapy"},
    )


class LoginForm(GovukFormMixin, AllauthLoginForm):
    """allauth's sign-in form without placeholders (GOV.UK: labels, not placeholders) or inline links."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Email address"
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["login"].widget.attrs["autocomplete"] = "email"
        self.fields["login"].widget.attrs["spellcheck"] = "false"
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""
